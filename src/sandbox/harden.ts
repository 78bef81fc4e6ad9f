/**
 * Takes away from a sandboxed process what the permission model leaves open: signalling other
 * processes (process.kill can reach the grader, or with -1 every process of the user), loading
 * built-in modules past our require (process.getBuiltinModule: net, fs...), native bindings, the
 * debugger of another process, diagnostic reports written to disk, the list of open handles (which
 * includes the channel to the grader), the machine's free memory, code built at run time, and
 * network access through fetch; and caps what it may print. It runs after labgrade's own modules
 * have loaded and before the submission's code. (One of them loads on demand: course-utils'
 * random generator, which processes for labs with data load before hardening, and a Lab 1 process
 * at first use.) Bubblewrap, where it runs, takes the network and the rest of the file system away
 * underneath.
 */
import type * as tfType from '@tensorflow/tfjs';

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
  // The machine's free memory and the cgroup's limit: what other processes hold changes them, so a
  // public call could read what a classmate's process (or, run beside it, a hidden one) chose to hold.
  'availableMemory',
  'constrainedMemory',
] as const;

// The network, and eval (code from strings: denyBuiltCode).
const DENIED_GLOBALS = ['fetch', 'WebSocket', 'EventSource', 'Request', 'Response', 'Headers', 'FormData', 'eval'] as const;
/**
 * Denied even where absent: a worker starts without this hardening. The threaded wasm backend's
 * pool is started before hardening; Emscripten setting a global Worker again now throws.
 */
const DENIED_EVEN_IF_ABSENT = ['Worker'] as const;

function refuse(name: string): never {
  throw new Error(`${name} is not available to submissions`);
}

function deny(target: object, name: string, shown: string): void {
  Object.defineProperty(target, name, { get: () => refuse(shown), set: () => refuse(shown), configurable: false, enumerable: false });
}

/** Most a submission may print, per stream; the rest is dropped so a flood costs neither memory nor a crash. */
const OUTPUT_CAP_BYTES = 1 << 20;

function capOutput(stream: NodeJS.WriteStream): void {
  // stdout/stderr are pipes to the parent: a flood would queue in memory, then fail with ENOBUFS.
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

type Tf = typeof tfType;

/**
 * No code built at run time: the Function constructors however reached (the global, or any
 * function's `.constructor`, async and generator ones included) throw, as eval does
 * (DENIED_GLOBALS), and so do WebAssembly's compilers. Code a submission builds from a string or
 * bytes (decoded from base64, say) is code its report does not show and the class's similarity
 * check cannot compare. Each constructor is replaced by one that throws and keeps its prototype,
 * name and length, so `instanceof Function` and `.constructor.name` still hold. (Node's
 * --disallow-code-generation-from-strings would do it in V8, but it reaches the threaded wasm
 * backend's workers, which Emscripten starts with eval.)
 */
function denyBuiltCode(): void {
  const constructors = [Function, (async () => {}).constructor, function* () {}.constructor, async function* () {}.constructor] as Function[];
  for (const original of constructors) {
    const denied = function (): never {
      return refuse(`building code from a string (${original.name})`);
    };
    // Ordinary code asks `fn.constructor.name === 'AsyncFunction'`: the stand-in answers as the original.
    Object.defineProperty(denied, 'name', { value: original.name });
    Object.defineProperty(denied, 'length', { value: original.length });
    Object.defineProperty(denied, 'prototype', { value: original.prototype, writable: false });
    Object.defineProperty(original.prototype, 'constructor', { value: denied, writable: false, configurable: false });
  }
  Object.defineProperty(globalThis, 'Function', { value: Function.prototype.constructor, writable: false, configurable: false });
  // The wasm backend compiled its own module before hardening.
  for (const name of ['compile', 'compileStreaming', 'instantiate', 'instantiateStreaming', 'Module', 'Instance'] as const) {
    if (name in WebAssembly) deny(WebAssembly, name, `WebAssembly.${name}`);
  }
}

/** Denies the members above, code built at run time, tfjs's own network access, and caps printed output. */
export function hardenProcess(tf: Tf): void {
  denyBuiltCode();
  for (const name of DENIED_PROCESS_MEMBERS) if (name in process) deny(process, name, `process.${name}`);
  for (const name of DENIED_GLOBALS) if (name in globalThis) deny(globalThis, name, name);
  for (const name of DENIED_EVEN_IF_ABSENT) deny(globalThis, name, name);
  // tf.util.fetch and the http model loader reach the network through the platform (node-fetch where no global fetch is left).
  Object.defineProperty(tf.env().platform, 'fetch', { value: () => refuse('fetch'), writable: false, configurable: false });
  capOutput(process.stdout);
  capOutput(process.stderr);
}

const refuser = (name: string) => () => refuse(name);

/** A model loader that takes in-memory handlers only, never a URL or a path. */
function inMemoryOnly<F extends (...args: never[]) => unknown>(load: F, name: string): F {
  return ((...args: Parameters<F>) => (typeof args[0] === 'string' || Array.isArray(args[0]) ? refuse(`${name} with a URL or path`) : load(...args))) as F;
}

/**
 * The tfjs a submission imports: labgrade's instance (one backend, one engine), without what reads
 * files or the network: tf.data's file, URL, webcam and microphone sources, tf.util.fetch, the io
 * handlers for http and browser storage, and model loading from a URL or path. Frozen, like the
 * namespace an import gives.
 */
export function submissionTf(tf: Tf): Tf {
  const data = { ...tf.data } as Record<string, unknown>;
  for (const name of ['csv', 'FileDataSource', 'URLDataSource', 'webcam', 'microphone']) data[name] = refuser(`tf.data.${name}`);
  const io = { ...tf.io } as Record<string, unknown>;
  for (const name of ['http', 'browserHTTPRequest', 'browserFiles', 'browserDownloads', 'copyModel', 'moveModel', 'listModels', 'removeModel']) io[name] = refuser(`tf.io.${name}`);
  return Object.freeze({
    ...tf,
    data: Object.freeze(data),
    io: Object.freeze(io),
    util: Object.freeze({ ...tf.util, fetch: refuser('tf.util.fetch') }),
    loadLayersModel: inMemoryOnly(tf.loadLayersModel, 'tf.loadLayersModel'),
    loadGraphModel: inMemoryOnly(tf.loadGraphModel, 'tf.loadGraphModel'),
  }) as unknown as Tf;
}
