/**
 * The grading process's side of a submission's process: starts it under Node's permission model,
 * loads the bundled submission, runs calls with a timeout, and watches its memory. A call that
 * times out or kills the process ends the session; the caller starts a new one for the rest.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import path from 'node:path';
import { execaNode } from 'execa';
import { distDir, projectRoot } from '../paths.js';
import { validateValue, type Value } from '../engine/values.js';
import { BackendError, candidates, type BackendChoice, type BackendPurpose } from '../backends/backends.js';
import { wasmThreads, WASM_THREADS_VARIABLE } from '../backends/wasm-threads.js';
import type { ChildMessage, DatasetRef, ParentMessage, ThrownError } from './protocol.js';
import type { EpochProgress, TrainedModel, TrainOptions } from '../training/train-model.js';

export interface SandboxLimits {
  /** V8 old-space cap for the child (--max-old-space-size). */
  heapMb: number;
  /** Resident memory cap (tensor data lives outside the V8 heap); checked every `pollMs`. */
  rssMb: number;
  startupTimeoutMs: number;
  /** How much of the child's stdout/stderr is kept for diagnosis. */
  outputCapBytes: number;
}

export const DEFAULT_LIMITS: SandboxLimits = { heapMb: 768, rssMb: 2048, startupTimeoutMs: 30_000, outputCapBytes: 64 * 1024 };

export type CallOutcome =
  /** `tampered`: built-ins or tfjs members the call replaced; the session is then ended. */
  | { kind: 'value'; value: Value; durationMs: number; tampered?: string[] }
  | { kind: 'threw'; error: ThrownError; durationMs: number; tampered?: string[] }
  | { kind: 'timeout'; durationMs: number; limitMs: number }
  /** Not run: the process had been changed between calls; run it again in a fresh process. */
  | { kind: 'stale'; tampered: string[]; durationMs: number }
  /** `detail` quotes what the process printed (student-controlled), kept apart so hidden checks can omit it. */
  | { kind: 'crashed'; reason: string; detail?: string; durationMs: number }
  /** A training request's model (see SandboxSession.train). */
  | { kind: 'trained'; trained: TrainedModel; durationMs: number };

export type StartOutcome =
  | { kind: 'loaded'; session: SandboxSession; exports: Record<string, string>; backend: string; device: string; tfjsVersion: string }
  | { kind: 'load-failed'; error: ThrownError }
  | { kind: 'crashed'; reason: string; detail?: string };

export interface SubmissionBundle {
  code: string;
  /** The submission file's path, used as the module's filename so stack traces name it. */
  filename: string;
  /** esbuild's source map of `code`, to turn bundle positions in stack traces into the student's lines. */
  sourceMap: SourceMapPayload;
}

const CHILD_ENTRY = path.join(distDir, 'src', 'sandbox', 'child.js');
const POLL_MS = 100;

/**
 * The folders of a package and of everything it depends on, found the way Node resolves them
 * (node_modules folders upwards), so that labgrade's dependencies are readable whether they sit in
 * its own node_modules or are hoisted into the project that installed it.
 */
function dependencyClosure(name: string, fromDir: string, found = new Set<string>()): Set<string> {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) {
      const real = realpathSync(candidate);
      if (found.has(real)) return found;
      found.add(real);
      const manifest = JSON.parse(readFileSync(path.join(real, 'package.json'), 'utf8'));
      for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) dependencyClosure(dep, real, found);
      return found;
    }
    if (path.dirname(dir) === dir) return found; // not installed (an optional dependency)
  }
}

let readablePaths: string[] | undefined;

/** Packages the child loads: tfjs, the backends it may be asked to start (optional ones only where installed), the dataset readers and the mini-batch shuffler. */
const CHILD_PACKAGES = [
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-webgpu',
  'webgpu',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
  'jsfive',
  'jpeg-js',
  '@stdlib/random-base-mt19937',
];

/**
 * What the child may read: labgrade's runtime code and those packages with their dependencies.
 * Not the submission (its code arrives over IPC), not fixtures/ or solutions/.
 */
function childReadablePaths(): string[] {
  readablePaths ??= [
    path.join(distDir, 'src'),
    path.join(projectRoot, 'package.json'),
    ...new Set(CHILD_PACKAGES.flatMap((name) => [...dependencyClosure(name, projectRoot)])),
  ];
  return readablePaths;
}

/**
 * Node's permission model for the child: it may read only childReadablePaths() (and the datasets
 * folder, when a lab's calls need data), and not write or spawn; it starts workers only for the
 * threaded wasm backend (spawnChild).
 */
export function childPermissionFlags(dataDir?: string): string[] {
  const readable = dataDir ? [...childReadablePaths(), path.resolve(dataDir)] : childReadablePaths();
  return ['--experimental-permission', ...readable.map((p) => `--allow-fs-read=${p}`)];
}

/** Whether a child starting `choice` may need to load a native addon (dawn.node) that is installed. */
function needsNativeAddons(choice: BackendChoice, purpose: BackendPurpose): boolean {
  const installed = (pkg: string) => dependencyClosure(pkg, projectRoot).size > 0;
  return candidates(choice, purpose, true).some((name) => name === 'webgpu' && installed('webgpu'));
}

export interface SessionOptions {
  backend: BackendChoice;
  /** 'train' lets `auto` take a hardware WebGPU adapter (training reads tensors asynchronously). */
  purpose?: BackendPurpose;
  /** The datasets folder, for labs whose calls take dataset arguments. */
  dataDir?: string;
  /** Threads for the wasm backend (default: this machine's cores; a class run shares them out between jobs). */
  wasmThreads?: number;
}

/** What a GPU backend's driver needs to be found (the Vulkan loader and ICD, CUDA): the rest of the environment stays out. */
const DRIVER_VARIABLES = ['LD_LIBRARY_PATH', 'VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'VK_LAYER_PATH', 'CUDA_VISIBLE_DEVICES'];

function driverEnvironment(): Record<string, string> {
  return Object.fromEntries(DRIVER_VARIABLES.filter((name) => process.env[name] !== undefined).map((name) => [name, process.env[name]!]));
}

function spawnChild(submissionDir: string, limits: SandboxLimits, options: SessionOptions) {
  const purpose = options.purpose ?? 'grade';
  const threads = options.wasmThreads ?? wasmThreads();
  const threadedWasm = threads > 1 && candidates(options.backend, purpose, true).includes('wasm');
  return execaNode(CHILD_ENTRY, [options.backend, purpose, options.dataDir ?? ''], {
    nodeOptions: [
      ...childPermissionFlags(options.dataDir),
      // dawn.node (WebGPU) is an addon; the child loads it before hardening takes process.dlopen
      // away, so submitted code still cannot load any.
      ...(needsNativeAddons(options.backend, purpose) ? ['--allow-addons'] : []),
      // The threaded wasm build starts its pool of workers with the backend, before the submission
      // loads; after that no Worker constructor is left within its reach (wasm-threads.ts).
      ...(threadedWasm ? ['--allow-worker'] : []),
      `--max-old-space-size=${limits.heapMb}`,
      '--disable-warning=ExperimentalWarning',
    ],
    ipc: true,
    serialization: 'advanced',
    buffer: false,
    stdin: 'ignore',
    reject: false,
    cleanup: true,
    env: { NODE_ENV: 'production', ...driverEnvironment(), [WASM_THREADS_VARIABLE]: String(threadedWasm ? threads : 1) },
    extendEnv: false,
    cwd: submissionDir,
  });
}
type ChildProcessPromise = ReturnType<typeof spawnChild>;

export class SandboxSession {
  private pending = new Map<number, (outcome: CallOutcome) => void>();
  private progressListeners = new Map<number, (progress: EpochProgress) => void>();
  private nextId = 1;
  private exitReason: string | null = null;
  private killedFor: string | null = null;
  private readonly output: string[] = [];
  private outputBytes = 0;
  private readonly watchdog: NodeJS.Timeout;
  private readonly listeners = new Set<(message: ChildMessage) => void>();
  private readonly exitWaiters = new Set<() => void>();

  private constructor(
    private readonly child: ChildProcessPromise,
    private readonly limits: SandboxLimits,
    private readonly bundle: SubmissionBundle,
  ) {
    child.on('message', (message: ChildMessage) => this.onMessage(message));
    const keep = (chunk: Buffer) => {
      if (this.outputBytes >= limits.outputCapBytes) return;
      const text = chunk.toString('utf8').slice(0, limits.outputCapBytes - this.outputBytes);
      this.outputBytes += text.length;
      this.output.push(text);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.then(
      (r) => this.onExit(r.exitCode, r.signal),
      (err: { exitCode?: number; signal?: string }) => this.onExit(err.exitCode, err.signal),
    );
    this.watchdog = setInterval(() => this.checkMemory(), POLL_MS);
    this.watchdog.unref();
  }

  /** Starts a child for one submission and loads its bundled code. */
  static async start(bundle: SubmissionBundle, submissionDir: string, options: SessionOptions = { backend: 'cpu' }, limits: SandboxLimits = DEFAULT_LIMITS): Promise<StartOutcome> {
    const child = spawnChild(submissionDir, limits, options);
    const session = new SandboxSession(child, limits, bundle);
    const ready = await session.waitFor((m) => m.type === 'ready', limits.startupTimeoutMs);
    if (!ready) {
      session.kill(`did not start within ${limits.startupTimeoutMs} ms`);
      return { kind: 'crashed', ...session.describeExit('did not start') };
    }
    session.post({ type: 'load', code: bundle.code, filename: bundle.filename });
    const loaded = await session.waitFor((m) => m.type === 'loaded' || m.type === 'load-failed' || m.type === 'backend-failed', limits.startupTimeoutMs);
    if (!loaded) {
      session.kill(`took more than ${limits.startupTimeoutMs} ms to load the submission`);
      return { kind: 'crashed', ...session.describeExit('stopped while loading the submission') };
    }
    if (loaded.type === 'backend-failed') {
      session.close();
      // Not the submission's doing: how labgrade was asked to run.
      throw new BackendError(loaded.reason);
    }
    if (loaded.type === 'load-failed') {
      session.close();
      return { kind: 'load-failed', error: session.mapError(loaded.error) };
    }
    if (loaded.type !== 'loaded') throw new Error('unreachable');
    return { kind: 'loaded', session, exports: loaded.exports, backend: loaded.backend, device: loaded.device, tfjsVersion: loaded.tfjsVersion };
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** False as soon as the session is killed, before the process's exit is reported. */
  get alive(): boolean {
    return this.exitReason === null && this.killedFor === null;
  }

  /** Calls an exported function; resolves with its encoded result or what went wrong. */
  call(fn: string, args: (Value | DatasetRef)[], timeoutMs: number): Promise<CallOutcome> {
    return this.request((id) => ({ type: 'call', id, fn, args }), timeoutMs);
  }

  /**
   * Builds a model with the exported function `fn` and trains it in the child (labgrade's recipe
   * on SIGNS); `onProgress` hears of every batch. Resolves with the trained model's artifacts.
   */
  train(fn: string, args: Value[], options: TrainOptions, timeoutMs: number, onProgress: (p: EpochProgress) => void): Promise<CallOutcome> {
    return this.request((id) => ({ type: 'train', id, fn, args, options }), timeoutMs, onProgress);
  }

  private request(message: (id: number) => ParentMessage, timeoutMs: number, onProgress?: (p: EpochProgress) => void): Promise<CallOutcome> {
    const started = performance.now();
    if (!this.alive) return Promise.resolve({ kind: 'crashed', ...this.describeExit('had already stopped'), durationMs: 0 });
    const id = this.nextId++;
    return new Promise<CallOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.progressListeners.delete(id);
        this.kill(`exceeded the ${timeoutMs} ms time limit`);
        resolve({ kind: 'timeout', durationMs: performance.now() - started, limitMs: timeoutMs });
      }, timeoutMs);
      if (onProgress) this.progressListeners.set(id, onProgress);
      this.pending.set(id, (outcome) => {
        clearTimeout(timer);
        this.pending.delete(id);
        this.progressListeners.delete(id);
        resolve(outcome);
      });
      this.post(message(id));
    });
  }

  /** Ends the child; safe to call more than once. */
  close(): void {
    clearInterval(this.watchdog);
    if (this.exitReason === null) this.child.kill('SIGKILL');
  }

  /** What the child printed (capped), for diagnosing crashes. */
  capturedOutput(): string {
    return this.output.join('');
  }

  /** Sanitizes an error from the child and points its stack at the student's lines. */
  private mapError(error: unknown): ThrownError {
    const clean = sanitizeError(error);
    return clean.stack ? { ...clean, stack: mapStack(clean.stack, this.bundle) } : clean;
  }

  private post(message: ParentMessage): void {
    this.child.sendMessage(message as never).catch(() => {
      // The child died; onExit settles whatever is pending.
    });
  }

  private kill(reason: string): void {
    this.killedFor ??= reason;
    this.close();
  }

  private waitFor(predicate: (m: ChildMessage) => boolean, timeoutMs: number): Promise<ChildMessage | null> {
    return new Promise((resolve) => {
      const done = (m: ChildMessage | null) => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        this.exitWaiters.delete(onExit);
        resolve(m);
      };
      const listener = (m: ChildMessage) => predicate(m) && done(m);
      const onExit = () => done(null);
      const timer = setTimeout(() => done(null), timeoutMs);
      this.listeners.add(listener);
      this.exitWaiters.add(onExit);
      if (!this.alive) done(null);
    });
  }


  private onMessage(message: ChildMessage): void {
    if (!isChildMessage(message)) {
      this.kill('sent a malformed message to the grader');
      return;
    }
    for (const listener of [...this.listeners]) listener(message);
    if (message.type === 'progress') {
      const { id, epoch, epochs, batch, batches, logs } = message;
      this.progressListeners.get(id)?.({ epoch, epochs, batch, batches, logs });
      return;
    }
    if (message.type === 'trained') {
      this.pending.get(message.id)?.({ kind: 'trained', trained: { artifacts: message.artifacts, history: message.history, reductions: message.reductions }, durationMs: message.durationMs });
      return;
    }
    if (message.type !== 'result' && message.type !== 'threw' && message.type !== 'stale') return;
    const settle = this.pending.get(message.id);
    if (!settle) return;
    const durationMs = message.type === 'stale' ? 0 : Number(message.durationMs) || 0;
    const tampered = Array.isArray(message.tampered) ? message.tampered.filter((t) => typeof t === 'string').slice(0, 10) : [];
    const extra = tampered.length > 0 ? { tampered } : {};
    if (message.type === 'stale') {
      settle({ kind: 'stale', tampered, durationMs });
    } else if (message.type === 'threw') {
      settle({ kind: 'threw', error: this.mapError(message.error), durationMs, ...extra });
    } else {
      const problem = validateValue(message.value);
      settle(problem ? { kind: 'crashed', reason: `returned a malformed value (${problem})`, durationMs } : { kind: 'value', value: message.value, durationMs, ...extra });
    }
    // What one call changed must not reach the next: that one gets a fresh process.
    if (tampered.length > 0) this.kill(`changed JavaScript built-ins or tfjs (${tampered.join(', ')})`);
  }

  private onExit(exitCode: number | undefined, signal: string | undefined): void {
    clearInterval(this.watchdog);
    this.exitReason = this.killedFor ?? (signal ? `was killed by ${signal}` : `exited with code ${exitCode ?? 'unknown'}`);
    if (!this.killedFor && /heap out of memory/i.test(this.capturedOutput())) this.exitReason = `ran out of memory (V8 heap limit ${this.limits.heapMb} MB)`;
    for (const settle of [...this.pending.values()]) settle({ kind: 'crashed', ...this.describeExit('stopped during the call'), durationMs: 0 });
    this.pending.clear();
    for (const waiter of [...this.exitWaiters]) waiter();
  }

  private describeExit(fallback: string): { reason: string; detail?: string } {
    const reason = `the submission's process ${this.exitReason ?? this.killedFor ?? fallback}`;
    // An uncaught error (e.g. a rejected promise) prints its name and message; quote that line.
    const errorLine = this.killedFor ? undefined : /^\w*(?:Error|Exception)\b[^\n]*/m.exec(this.capturedOutput())?.[0];
    return errorLine ? { reason, detail: errorLine.slice(0, 300) } : { reason };
  }

  private checkMemory(): void {
    const pid = this.child.pid;
    if (!pid || !this.alive) return;
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      return; // not Linux, or already gone
    }
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    if (rssKb > this.limits.rssMb * 1024) this.kill(`used more than ${this.limits.rssMb} MB of memory`);
  }
}

const MESSAGE_TYPES = new Set(['ready', 'loaded', 'load-failed', 'backend-failed', 'result', 'threw', 'stale', 'progress', 'trained']);

/** Training logs: a few metrics by plain names (they are printed), numbers (NaN allowed: a diverging run). */
const isLogRecord = (v: unknown) =>
  typeof v === 'object' && v !== null && Object.keys(v).length <= 20 && Object.entries(v).every(([k, x]) => /^[\w.-]{1,40}$/.test(k) && typeof x === 'number');
const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;

/** A trained model from the child: weight specs that add up to the weight data, history of numbers. */
function isTrainedMessage(m: Record<string, unknown>): boolean {
  const artifacts = m.artifacts as Record<string, unknown> | undefined;
  if (!artifacts || typeof artifacts.modelTopology !== 'object' || artifacts.modelTopology === null || !(artifacts.weightData instanceof ArrayBuffer)) return false;
  const specs = artifacts.weightSpecs;
  if (!Array.isArray(specs) || specs.length > 10_000) return false;
  let floats = 0;
  for (const spec of specs as Record<string, unknown>[]) {
    if (typeof spec?.name !== 'string' || spec.name.length > 200 || spec.dtype !== 'float32' || !Array.isArray(spec.shape) || !spec.shape.every(isCount)) return false;
    floats += (spec.shape as number[]).reduce((a, b) => a * b, 1);
  }
  if (floats * 4 !== artifacts.weightData.byteLength) return false;
  const history = m.history as Record<string, unknown>;
  if (!isLogRecordOfArrays(history)) return false;
  const reductions = m.reductions;
  if (!Array.isArray(reductions) || reductions.length > 1000) return false;
  if (!reductions.every((r: { epoch?: unknown; learningRate?: unknown }) => isCount(r?.epoch) && Number.isFinite(r?.learningRate))) return false;
  return typeof m.durationMs === 'number';
}

/** Per-epoch histories: plain names, arrays of numbers, all of one length. */
function isLogRecordOfArrays(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const entries = Object.entries(v);
  if (entries.length > 20 || !entries.every(([k, a]) => /^[\w.-]{1,40}$/.test(k) && Array.isArray(a) && a.length <= 100_000 && a.every((x) => typeof x === 'number'))) return false;
  return new Set(entries.map(([, a]) => (a as unknown[]).length)).size <= 1;
}

/** The child is untrusted: only messages of the protocol's shape are looked at. */
export function isChildMessage(m: unknown): m is ChildMessage {
  if (typeof m !== 'object' || m === null) return false;
  const { type, id, exports } = m as Record<string, unknown>;
  if (typeof type !== 'string' || !MESSAGE_TYPES.has(type)) return false;
  if ((type === 'result' || type === 'threw' || type === 'stale' || type === 'progress' || type === 'trained') && !Number.isSafeInteger(id)) return false;
  if (type === 'progress') {
    const p = m as Record<string, unknown>;
    if (![p.epoch, p.epochs, p.batch, p.batches].every(isCount) || !isLogRecord(p.logs)) return false;
  }
  if (type === 'trained' && !isTrainedMessage(m as Record<string, unknown>)) return false;
  if (type === 'backend-failed' && typeof (m as { reason?: unknown }).reason !== 'string') return false;
  if (type === 'loaded') {
    if (typeof exports !== 'object' || exports === null || !Object.values(exports).every((v) => typeof v === 'string')) return false;
    // These end up in reports: plain version-like words only.
    const { backend, tfjsVersion, device } = m as Record<string, unknown>;
    if (![backend, tfjsVersion].every((s) => typeof s === 'string' && /^[\w.-]{1,32}$/.test(s))) return false;
    if (typeof device !== 'string' || !/^[\w .,()+-]{1,80}$/.test(device)) return false;
  }
  return true;
}

/** Keeps only the expected shape and bounded lengths of an error reported by the child. */
function sanitizeError(error: unknown): ThrownError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const text = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : undefined);
  return { name: text(e.name, 100) ?? 'Error', message: text(e.message, 2000) ?? 'unknown error', stack: text(e.stack, 4000) };
}

/** Rewrites "file:line:col" positions in the bundle into positions in the student's own files. */
export function mapStack(stack: string, bundle: SubmissionBundle): string {
  const map = new SourceMap(bundle.sourceMap);
  const escaped = bundle.filename.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return stack.replace(new RegExp(`${escaped}:(\\d+):(\\d+)`, 'g'), (whole, line: string, column: string) => {
    const entry = map.findEntry(Number(line) - 1, Number(column) - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
    if (!entry?.originalSource || entry.originalLine === undefined) return whole;
    return `${path.basename(entry.originalSource)}:${entry.originalLine + 1}:${(entry.originalColumn ?? 0) + 1}`;
  });
}
