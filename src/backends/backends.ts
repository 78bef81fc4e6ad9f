/**
 * Choosing and starting a tfjs backend. `auto` takes the fastest that works here: tensorflow
 * (tfjs-node-gpu, then tfjs-node: optional dependencies that do not install where their
 * libtensorflow download is blocked), then webgpu on a hardware adapter, then wasm, then cpu.
 */
import type * as tfType from '@tensorflow/tfjs';
import { UsageError } from '../errors.js';
import { registerConvGradientKernels } from './conv-gradients.js';
import { registerMaxPoolGradKernel } from './pool-gradients.js';

type Tf = typeof tfType;

export const BACKEND_CHOICES = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
export type BackendName = Exclude<BackendChoice, 'auto'>;

export interface ActiveBackend {
  name: BackendName;
  /** What it runs on, in words, for reports ("wasm, SIMD, 1 thread", "NVIDIA H100 via WebGPU"). */
  device: string;
}

export function parseBackendChoice(text: string): BackendChoice {
  if ((BACKEND_CHOICES as readonly string[]).includes(text)) return text as BackendChoice;
  throw new UsageError(`unknown backend "${text}": choose one of ${BACKEND_CHOICES.join(', ')}`);
}

/** Why a backend could not start; `auto` moves on to the next, an explicit choice reports it. */
class BackendUnavailable extends Error {}

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

async function startWebgpu(): Promise<ActiveBackend> {
  throw new BackendUnavailable('the webgpu backend is not part of this labgrade build yet (it needs the optional packages webgpu and @tensorflow/tfjs-backend-webgpu)');
}

async function startWasm(tf: Tf): Promise<ActiveBackend> {
  await import('@tensorflow/tfjs-backend-wasm');
  // wasm lacks Conv2DBackpropFilter (without it nothing with a convolution trains), and its
  // MaxPoolGrad is slow; both are registered once per process.
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    registerConvGradientKernels(tf, 'wasm');
    registerMaxPoolGradKernel(tf, 'wasm');
  }
  if (!(await tf.setBackend('wasm'))) throw new BackendUnavailable('the wasm backend failed to initialize');
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  const threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
  return { name: 'wasm', device: `WebAssembly${simd ? ' SIMD' : ''}, ${threads ? 'multithreaded' : '1 thread'}` };
}

async function startCpu(tf: Tf): Promise<ActiveBackend> {
  await tf.setBackend('cpu');
  return { name: 'cpu', device: 'plain JavaScript' };
}

const starters: Record<BackendName, (tf: Tf) => Promise<ActiveBackend>> = {
  tensorflow: startTensorflow,
  webgpu: startWebgpu,
  wasm: startWasm,
  cpu: startCpu,
};

/** Makes `choice` tfjs's backend; an explicit choice that cannot start is a UsageError saying why. */
export async function activateBackend(tf: Tf, choice: BackendChoice): Promise<ActiveBackend> {
  const order: BackendName[] = choice === 'auto' ? ['tensorflow', 'webgpu', 'wasm', 'cpu'] : [choice];
  const reasons: string[] = [];
  for (const name of order) {
    try {
      const active = await starters[name](tf);
      await tf.ready();
      return active;
    } catch (err) {
      if (!(err instanceof BackendUnavailable)) throw err;
      reasons.push(`${name}: ${err.message}`);
    }
  }
  throw new UsageError(`backend ${choice} is not available here:\n  ${reasons.join('\n  ')}`);
}
