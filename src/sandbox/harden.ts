/**
 * Takes away from a submission's process what the permission model leaves open: signalling other
 * processes (process.kill can reach the grader, or with -1 every process of the user), loading
 * built-in modules past our require (process.getBuiltinModule: net, fs...), native bindings, the
 * debugger of another process, diagnostic reports written to disk, the IPC channel (forged or
 * flooding messages), the list of open handles (which includes that channel), and network access
 * through fetch; and caps what it may print. It runs after labgrade's own modules have loaded and
 * before the submission's code. (One of them loads on demand: course-utils' random generator,
 * which processes for labs with data load before hardening, and a Lab 1 process at first use.)
 */

const DENIED_PROCESS_MEMBERS = [
  'kill',
  '_kill',
  'getBuiltinModule',
  'binding',
  '_linkedBinding',
  'dlopen',
  '_debugProcess',
  '_debugEnd',
  'setuid',
  'setgid',
  'seteuid',
  'setegid',
  'setgroups',
  'initgroups',
  'chdir',
  'loadEnvFile',
  'report',
  'send',
  '_send',
  '_getActiveHandles',
  '_getActiveRequests',
] as const;

const DENIED_GLOBALS = ['fetch', 'WebSocket', 'EventSource', 'Request', 'Response', 'Headers', 'FormData'] as const;
/**
 * Denied even where absent: a worker starts without this hardening. The threaded wasm backend's
 * pool is started before hardening; Emscripten setting a global Worker again now throws.
 */
const DENIED_EVEN_IF_ABSENT = ['Worker'] as const;

export type SendMessage = (message: unknown, callback: (error: Error | null) => void) => void;

function refuse(name: string): never {
  throw new Error(`${name} is not available to submissions`);
}

function deny(target: object, name: string, shown: string): void {
  Object.defineProperty(target, name, { get: () => refuse(shown), set: () => refuse(shown), configurable: false, enumerable: false });
}

/** Most a submission may print, per stream; the rest is dropped so a flood costs neither memory nor a crash. */
const OUTPUT_CAP_BYTES = 1 << 20;

function capOutput(stream: NodeJS.WriteStream): void {
  // stdout/stderr are sockets to the parent: a flood would queue in memory, then fail with ENOBUFS.
  stream.on('error', () => {});
  const write = stream.write.bind(stream) as (chunk: unknown, encoding?: unknown, callback?: unknown) => boolean;
  let written = 0;
  const capped = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
    const done = typeof encoding === 'function' ? encoding : callback;
    if (written >= OUTPUT_CAP_BYTES) {
      if (typeof done === 'function') process.nextTick(done as () => void);
      return true;
    }
    written += typeof chunk === 'string' ? Buffer.byteLength(chunk) : ((chunk as Uint8Array)?.byteLength ?? 0);
    return write(chunk, encoding, callback);
  };
  Object.defineProperty(stream, 'write', { value: capped, writable: false, configurable: false });
}

/** Denies the members above, caps printed output, and returns the only way left to talk to the parent. */
export function hardenProcess(): SendMessage {
  const proc = process as unknown as Record<string, unknown>;
  const send = proc.send as (...args: unknown[]) => boolean;
  // Node's send() calls this._send(); a private object inheriting from process keeps the real one.
  const sender = Object.create(process, { _send: { value: proc._send } });
  for (const name of DENIED_PROCESS_MEMBERS) if (name in process) deny(process, name, `process.${name}`);
  for (const name of DENIED_GLOBALS) if (name in globalThis) deny(globalThis, name, name);
  for (const name of DENIED_EVEN_IF_ABSENT) deny(globalThis, name, name);
  capOutput(process.stdout);
  capOutput(process.stderr);
  return (message, callback) => {
    send.call(sender, message, undefined, {}, callback);
  };
}
