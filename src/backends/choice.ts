/**
 * Choosing and starting a tfjs backend. `auto` takes the fastest that works here: tensorflow
 * (tfjs-node-gpu, then tfjs-node: optional dependencies that do not install where their
 * libtensorflow download is blocked), then, for training, webgpu on a hardware adapter, then wasm,
 * then cpu. Grading function checks never runs on webgpu: tfjs's WebGPU backend cannot read a
 * tensor synchronously in Node (dataSync needs an OffscreenCanvas), and lab code does.
 */
import type * as tfType from '@tensorflow/tfjs';
import { UsageError } from '../errors.js';
import { accelerateWasm, accelerateWebgpu, type WebgpuPackage } from '../accel/index.js';
import { registerThreadedWasm, threadsFailure, wasmThreads } from './wasm-threads.js';

type Tf = typeof tfType;

export const BACKEND_CHOICES = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
export type BackendName = Exclude<BackendChoice, 'auto'>;

/** What the backend is for: grading function checks, or training and evaluating models (async reads only). */
export type BackendPurpose = 'grade' | 'train';

export interface ActiveBackend {
  name: BackendName;
  /** What it runs on, in words, for reports ("wasm, SIMD, 1 thread", "NVIDIA H100 via WebGPU"). */
  device: string;
  /** The faster backends `auto` tried first, and why each did not start ("webgpu: no hardware adapter"). */
  passedOver?: string[];
}

export function parseBackendChoice(text: string): BackendChoice {
  if ((BACKEND_CHOICES as readonly string[]).includes(text)) return text as BackendChoice;
  throw new UsageError(`unknown backend "${text}": choose one of ${BACKEND_CHOICES.join(', ')}`);
}

/** Why a backend could not start; `auto` moves on to the next, an explicit choice reports it. */
class BackendUnavailable extends Error {}

/** No backend asked for can start: nothing about a submission, so a class run stops rather than blaming every student. */
export class BackendError extends UsageError {}

/** Imports an optional package by a name the compiler does not resolve (it may not be installed). */
async function importOptional(name: string): Promise<boolean> {
  try {
    await import(name);
    return true;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return false;
    throw new BackendUnavailable(`${name} is installed but failed to load: ${(err as Error).message.split('\n')[0]}`);
  }
}

async function startTensorflow(tf: Tf): Promise<ActiveBackend> {
  for (const [pkg, device] of [['@tensorflow/tfjs-node-gpu', 'libtensorflow with CUDA'], ['@tensorflow/tfjs-node', 'libtensorflow on the CPU']] as const) {
    if (await importOptional(pkg)) {
      await tf.setBackend('tensorflow');
      return { name: 'tensorflow', device };
    }
  }
  throw new BackendUnavailable('neither @tensorflow/tfjs-node nor @tensorflow/tfjs-node-gpu is installed (their install downloads libtensorflow, which fails where that download is blocked)');
}

interface GpuAdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
}

/** Software renderers (Mesa's lavapipe/llvmpipe, SwiftShader) are slower than wasm for training. */
function isSoftwareAdapter(info: GpuAdapterInfo): boolean {
  return /llvmpipe|lavapipe|swiftshader|software/i.test([info.vendor, info.architecture, info.device, info.description].join(' '));
}

interface GpuAdapter {
  limits: { maxStorageBuffersPerShaderStage: number };
  requestDevice(descriptor?: { requiredLimits?: Record<string, number> }): Promise<unknown>;
}

/** Storage buffers a shader asked for at most: past this a FlatConcat shader's bindings and uniforms grow for little gain. */
export const STORAGE_BUFFERS_WANTED = 32;

/**
 * `gpu` whose adapters' devices take as many storage buffers a shader as the adapter has (16
 * over lavapipe), up to STORAGE_BUFFERS_WANTED, where tfjs-backend-webgpu asks for WebGPU's
 * default 8: labgrade's FlatConcat and FlatSplit move one tensor a buffer, so a ResNet50 step's
 * fused Adam runs 45 shaders instead of 93.
 */
function withAllStorageBuffers<G extends object & { requestAdapter(options?: object): Promise<unknown> }>(gpu: G): G {
  return overriding(gpu, {
    requestAdapter: async (options?: object) => {
      const adapter = (await gpu.requestAdapter(options)) as (GpuAdapter & object) | null;
      if (!adapter) return adapter;
      return overriding(adapter, {
        requestDevice: (descriptor: { requiredLimits?: Record<string, number> } = {}) =>
          adapter.requestDevice({ ...descriptor, requiredLimits: { ...descriptor.requiredLimits, maxStorageBuffersPerShaderStage: Math.min(STORAGE_BUFFERS_WANTED, adapter.limits.maxStorageBuffersPerShaderStage) } }),
      });
    },
  });
}

/** `target` with `overrides` in place of its own members; the rest read from, and called on, target itself (Dawn's native objects check `this`). */
function overriding<T extends object>(target: T, overrides: Record<string, unknown>): T {
  return new Proxy(target, {
    get: (object, key) => {
      if (typeof key === 'string' && Object.hasOwn(overrides, key)) return overrides[key];
      const value: unknown = Reflect.get(object, key, object);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });
}

/**
 * WebGPU through Dawn (the npm package `webgpu`): navigator.gpu must exist before the tfjs backend
 * is imported. Dawn needs the Vulkan loader (libvulkan.so.1) and a driver for the GPU.
 */
async function startWebgpu(tf: Tf, options: { hardwareOnly: boolean }): Promise<ActiveBackend> {
  let dawn: { create(flags: string[]): { requestAdapter(): Promise<{ info: GpuAdapterInfo } | null> }; globals: Record<string, unknown> };
  try {
    dawn = (await import('webgpu' as string)) as typeof dawn;
  } catch (err) {
    throw new BackendUnavailable(`the optional package webgpu (Dawn) did not load: ${(err as Error).message.split('\n')[0]}`);
  }
  let adapter: { info: GpuAdapterInfo } | null;
  let gpu: ReturnType<typeof dawn.create>;
  try {
    gpu = dawn.create([]);
    adapter = await gpu.requestAdapter();
  } catch (err) {
    throw new BackendUnavailable(`Dawn could not look for a WebGPU adapter: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!adapter) throw new BackendUnavailable('Dawn found no WebGPU adapter (is the Vulkan loader libvulkan.so.1 installed, with a driver for the GPU?)');
  const info = adapter.info;
  const name = [info.vendor, info.device || info.description || info.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  if (options.hardwareOnly && isSoftwareAdapter(info)) throw new BackendUnavailable(`the only WebGPU adapter is a software renderer (${name}), slower than wasm`);
  Object.assign(globalThis, dawn.globals);
  Object.defineProperty(globalThis, 'navigator', { value: { ...(globalThis as { navigator?: object }).navigator, gpu: withAllStorageBuffers(gpu) }, configurable: true, writable: true });
  let webgpuPackage: WebgpuPackage;
  try {
    // import(), not require: the GPU device script's bundle (bench/gpu/bundle.sh) carries tfjs's
    // packages inside itself, where esbuild sees only literal imports.
    webgpuPackage = (await import('@tensorflow/tfjs-backend-webgpu' as string)) as WebgpuPackage;
  } catch (err) {
    throw new BackendUnavailable(`the optional package @tensorflow/tfjs-backend-webgpu did not load: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!(await tf.setBackend('webgpu'))) throw new BackendUnavailable(`the webgpu backend failed to initialize on ${name}`);
  accelerateWebgpu(tf, webgpuPackage);
  return { name: 'webgpu', device: `${name} via WebGPU (Dawn)`.replace(/[^\w .,()+-]/g, ' ') };
}

async function startWasm(tf: Tf): Promise<ActiveBackend> {
  const wasmPackage = await import('@tensorflow/tfjs-backend-wasm');
  accelerateWasm(tf);
  // tfjs runs wasm on one thread in Node; the threaded build (wasm-threads.ts) is started once per
  // process, before the backend's first start.
  const threads = wasmThreads();
  if (threads > 1) await registerThreadedWasm(tf, threads);
  if (!(await tf.setBackend('wasm'))) throw new BackendUnavailable('the wasm backend failed to initialize');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const running = wasmPackage.getThreadsCount();
  const why = threadsFailure();
  return { name: 'wasm', device: `WebAssembly${simd ? ' SIMD' : ''}, ${running} thread${running === 1 ? '' : 's'}${why ? ` (threads unavailable: ${why})` : ''}` };
}

async function startCpu(tf: Tf): Promise<ActiveBackend> {
  await tf.setBackend('cpu');
  return { name: 'cpu', device: 'plain JavaScript' };
}

function starter(name: BackendName, explicit: boolean): (tf: Tf) => Promise<ActiveBackend> {
  switch (name) {
    case 'tensorflow':
      return startTensorflow;
    case 'webgpu':
      return (tf) => startWebgpu(tf, { hardwareOnly: !explicit });
    case 'wasm':
      return startWasm;
    case 'cpu':
      return startCpu;
  }
}

/**
 * The backends `choice` tries, in order (`auto`'s order depends on the purpose). A sandboxed
 * process (a submission's) never gets tensorflow: tfjs-node runs TensorFlow's own file ops
 * (ReadFile, WriteFile) in native code, which Node's permission model cannot stop.
 */
export function candidates(choice: BackendChoice, purpose: BackendPurpose, sandboxed = false): BackendName[] {
  const order: BackendName[] = choice !== 'auto' ? [choice] : purpose === 'train' ? ['tensorflow', 'webgpu', 'wasm', 'cpu'] : ['tensorflow', 'wasm', 'cpu'];
  return sandboxed && choice === 'auto' ? order.filter((name) => name !== 'tensorflow') : order;
}

/**
 * Makes `choice` tfjs's backend for `purpose`; an explicit choice that cannot start (or cannot
 * serve the purpose) is a UsageError saying why.
 */
export async function activateBackend(tf: Tf, choice: BackendChoice, purpose: BackendPurpose = 'grade', sandboxed = false): Promise<ActiveBackend> {
  if (choice === 'webgpu' && purpose === 'grade') {
    throw new UsageError("the webgpu backend cannot run function checks: tfjs's WebGPU backend cannot read tensors synchronously in Node (dataSync), which lab code does; use it for `labgrade train` and `labgrade evaluate`");
  }
  if (choice === 'tensorflow' && sandboxed) {
    throw new UsageError("the tensorflow backend (tfjs-node) cannot run submitted code: TensorFlow's native file ops would get past the sandbox; it serves `labgrade evaluate` only");
  }
  const reasons: string[] = [];
  for (const name of candidates(choice, purpose, sandboxed)) {
    try {
      const active = await starter(name, choice !== 'auto')(tf);
      await tf.ready();
      return reasons.length > 0 ? { ...active, passedOver: reasons } : active;
    } catch (err) {
      if (!(err instanceof BackendUnavailable)) throw err;
      reasons.push(`${name}: ${err.message}`);
    }
  }
  throw new BackendError(`backend ${choice} is not available here:\n  ${reasons.join('\n  ')}`);
}

let graderReady: Promise<ActiveBackend> | null = null;

/**
 * The grading process's own backend, for what it computes itself (accuracies of returned or
 * trained models: trusted code only), started once; a failed start is tried again next time.
 */
export function graderBackend(tf: Tf): Promise<ActiveBackend> {
  graderReady ??= activateBackend(tf, 'auto').catch((err: unknown) => {
    graderReady = null;
    throw err;
  });
  return graderReady;
}
