/**
 * tfjs-backend-wasm's threaded build, started in Node. tfjs itself runs XNNPACK on one thread in
 * Node, for three reasons this module works around: its threads flag is off in Node (tfjs#3830);
 * it hands Emscripten the pthread worker script as a Blob URL, which Node's workers cannot start;
 * and the build takes half the logical cores it is told of (for hyper-threads), so a 2-core machine
 * would get one thread even with the flag on. Here the worker script starts from a data: URL and
 * the build is told twice the wanted thread count. The kernels are tfjs's own: only the backend's
 * factory changes, and XNNPACK splits work between threads without changing any sum's order.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import { UsageError } from '../errors.js';
import { requirePackage } from '../require-package.js';

/** The build's pthread pool (PTHREAD_POOL_SIZE) and XNNPACK's own cap: more threads cannot start. */
export const MAX_WASM_THREADS = 8;

/** The variable that sets the wasm backend's threads (a grading process passes it to submissions' processes). */
export const WASM_THREADS_VARIABLE = 'LABGRADE_WASM_THREADS';

/** Threads for each of `jobs` processes running side by side: this machine's cores shared out, 1 to MAX_WASM_THREADS. */
export function threadsPerJob(jobs: number): number {
  return Math.max(1, Math.min(MAX_WASM_THREADS, Math.floor(availableParallelism() / Math.max(1, jobs))));
}

/**
 * The wasm backend's threads in each of `jobs` processes side by side: LABGRADE_WASM_THREADS if
 * set, else this machine's cores shared out (threadsPerJob).
 */
export function wasmThreads(env: NodeJS.ProcessEnv = process.env, jobs = 1): number {
  const text = env[WASM_THREADS_VARIABLE];
  if (text === undefined || text === '') return threadsPerJob(jobs);
  const threads = Number(text);
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS) {
    throw new UsageError(`${WASM_THREADS_VARIABLE} must be a whole number from 1 to ${MAX_WASM_THREADS}, not "${text}"`);
  }
  return threads;
}

interface EmscriptenModule {
  cwrap(name: string, returns: string | null, args: string[]): (...args: number[]) => number;
  PThread?: { terminateAllThreads(): void; runningWorkers?: { unref(): void }[] };
  tfjs?: Record<string, unknown>;
}

type Factory = (config: Record<string, unknown>) => Promise<EmscriptenModule>;

/** An ES module that gives Emscripten's CommonJS worker script the globals it expects, then runs it. */
function workerUrl(wasmOut: string): URL {
  const { wasmWorkerContents } = requirePackage(path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  // tfjs escapes the newlines too: the script's string literals hold "\n" written as real newlines.
  const script = wasmWorkerContents.replace(/\n/g, '\\n');
  const factoryPath = path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.js');
  const source = [
    "import { createRequire } from 'node:module';",
    `globalThis.require = createRequire(${JSON.stringify(factoryPath)});`,
    `globalThis.__filename = ${JSON.stringify(factoryPath)};`,
    `(0, eval)(${JSON.stringify(script)});`,
  ].join('\n');
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`);
}

/**
 * Makes tfjs's 'wasm' backend the threaded SIMD build with `threads` threads (1 to
 * MAX_WASM_THREADS, the calling thread included; see wasmThreads), for the next time it starts;
 * later calls change nothing; tfjs's registered wasm kernels serve it as they serve the
 * single-threaded build. Where the threaded build cannot start (a process not allowed workers),
 * the backend starts single-threaded, as tfjs would, and `threadsFailure()` says why.
 */
export async function registerThreadedWasm(tf: typeof tfType, threads: number): Promise<void> {
  if (registered) return;
  const wasmPackage = await import('@tensorflow/tfjs-backend-wasm');
  const singleThreaded = tf.findBackendFactory('wasm');
  if (!singleThreaded) throw new Error('@tensorflow/tfjs-backend-wasm registered no wasm backend');
  const wasmOut = path.dirname(requirePackage.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js'));
  const factoryPath = path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.js');
  const startThreaded = async (): Promise<tfType.KernelBackend> => {
    const factory = requirePackage(factoryPath) as Factory;
    const binary = readFileSync(path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.wasm'));
    let instantiateFailed: (reason: unknown) => void = () => undefined;
    const failure = new Promise<never>((_, reject) => {
      instantiateFailed = reject;
    });
    failure.catch(() => undefined);
    // One script for all of the pool's workers (Emscripten asks for it once per worker).
    const worker = workerUrl(wasmOut);
    const hadWorker = Object.getOwnPropertyDescriptor(globalThis, 'Worker');
    let ready: Promise<EmscriptenModule>;
    try {
      // Emscripten sets a global Worker and starts its pool of workers before factory() returns.
      ready = factory({
        locateFile: (file: string) => (file.endsWith('.worker.js') ? worker : path.join(wasmOut, file)),
        mainScriptUrlOrBlob: factoryPath,
        instantiateWasm: (imports: WebAssembly.Imports & { env: Record<string, WebAssembly.ImportValue> }, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) => {
          imports.env.emscripten_num_logical_cores = () => 2 * threads;
          WebAssembly.instantiate(binary, imports).then(({ instance, module: compiled }) => receive(instance, compiled), instantiateFailed);
          return {};
        },
      });
    } finally {
      // The pool is started; nothing else may start a worker, so the global goes at once, before
      // any other code can run.
      if (hadWorker) Object.defineProperty(globalThis, 'Worker', hadWorker);
      else delete (globalThis as { Worker?: unknown }).Worker;
    }
    const module = await Promise.race([ready, failure]);
    // Only what tfjs's backend needs of the pool: its workers stay out of reach of code that can reach the backend.
    const pool = module.PThread;
    module.PThread = { terminateAllThreads: () => pool?.terminateAllThreads() };
    module.tfjs = {
      init: module.cwrap('init', null, []),
      initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
      getThreadsCount: module.cwrap('get_threads_count', 'number', []),
      registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
      disposeData: module.cwrap('dispose_data', null, ['number']),
      dispose: module.cwrap('dispose', null, []),
    };
    wasmPackage.setThreadsCount(threads);
    const backend = new wasmPackage.BackendWasm(module as never);
    // XNNPACK's threads run for good, waiting for work; they must not keep the process alive.
    for (const running of pool?.runningWorkers ?? []) running.unref();
    return backend;
  };
  // Started once per process: anything that calls the factory again (code that can reach
  // tf.findBackendFactory) must not get a second pool, or the Worker global while it starts.
  let started = false;
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      if (started) throw new Error('the threaded wasm backend starts once per process');
      started = true;
      try {
        return await startThreaded();
      } catch (err) {
        startFailure = (err as Error).message?.split('\n')[0] ?? String(err);
        return singleThreaded();
      }
    },
    2,
  );
  registered = true;
}

/** The threaded build is registered once per process (a second registration would wrap the first). */
let registered = false;
let startFailure: string | null = null;

/** Why the threaded build failed to start (the backend then runs on one thread), or null. */
export function threadsFailure(): string | null {
  return startFailure;
}
