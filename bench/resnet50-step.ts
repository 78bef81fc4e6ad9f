/**
 * One ResNet50 training step (trainOnBatch), timed and its kernels counted, with tfjs's own
 * training code (tfjs-layers' batch normalization, tf.train.adam, and on WebGPU tfjs's default
 * input gradient) or with labgrade's (useLabgradeTrainingCode and adamForBackend, as
 * `labgrade train` runs): the CPU benchmark and the GPU device script both report the ratio of
 * the two.
 */
import { readFileSync } from 'node:fs';
import type * as tfType from '@tensorflow/tfjs';
import { resNet50 } from '../solutions/residual-networks.js';
import { adamForBackend, useLabgradeTrainingCode } from '../src/accel/index.js';
import { median } from '../src/median.js';
import { recordShaders } from '../src/accel/webgpu/shader-record.js';
import { UNIFORM_CACHE_FLAG } from '../src/accel/webgpu/uniform-cache.js';

const NAIVE_TRANSPOSE = 'WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE';

export type TrainingCode = 'tfjs' | 'labgrade';

export interface StepFigure {
  /** Median of `steps` steps after two warm-up ones, each step's loss read before the next starts. */
  stepMs: number;
  /** A step within model.fit over `pipelinedSteps` batches, no loss read between them (as `labgrade train` runs); null where not measured. */
  pipelinedStepMs: number | null;
  kernelsPerStep: number;
  /** Shaders a step runs on WebGPU (calls of the backend's runWebGPUProgram; a kernel can run several, or none); null elsewhere. */
  gpuProgramsPerStep: number | null;
  /**
   * Main-thread CPU time of a step's synchronous part (forward, backward and update: where tfjs
   * records every shader; median of the timed steps): on WebGPU, the dispatch cost the GPU's work
   * overlaps with. Linux only (the thread's schedstat); null elsewhere.
   */
  dispatchCpuMs: number | null;
  /** GPU time of one step's kernels (timestamp queries), where the backend measures it; null elsewhere. */
  kernelMs: number | null;
  /** The kernels taking most of kernelMs: name, count, milliseconds. */
  topKernels: { name: string; count: number; ms: number }[];
}

/**
 * `steps` timed steps, each read before the next; `pipelinedSteps` more within one model.fit (0:
 * not measured; where reading a tensor is synchronous, as on wasm, there is nothing to overlap).
 */
export async function resNet50Step(tf: typeof tfType, code: TrainingCode, x: tfType.Tensor, y: tfType.Tensor, steps: number, pipelinedSteps = 0): Promise<StepFigure> {
  const trained = resNet50();
  let restore = () => undefined as void;
  let optimizer: tfType.Optimizer | null = null;
  try {
    restore = code === 'labgrade' ? useLabgradeTrainingCode(tf, trained) : stockWebgpuSettings(tf);
    optimizer = code === 'labgrade' ? adamForBackend(tf, 1e-3) : tf.train.adam(1e-3);
    trained.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const step = async () => {
      const start = performance.now();
      await trained.trainOnBatch(x, y);
      return performance.now() - start;
    };
    const dispatchCpu = timeTrainFunctionCpu(trained);
    await step();
    await step();
    dispatchCpu.splice(0);
    const times: number[] = [];
    for (let i = 0; i < steps; i++) times.push(await step());
    const dispatchCpuMs = dispatchCpu.length ? median(dispatchCpu) : null;
    let pipelinedStepMs: number | null = null;
    if (pipelinedSteps > 0) {
      const xs = tf.concat(Array.from({ length: pipelinedSteps }, () => x));
      const ys = tf.concat(Array.from({ length: pipelinedSteps }, () => y));
      const fitStart = performance.now();
      await trained.fit(xs, ys, { batchSize: x.shape[0], epochs: 1, shuffle: false, verbose: 0 });
      pipelinedStepMs = (performance.now() - fitStart) / pipelinedSteps;
      tf.dispose([xs, ys]);
    }
    const shaders = recordShaders(tf);
    let gpuProgramsPerStep: number | null;
    let profile: Awaited<ReturnType<typeof tf.profile>>;
    try {
      profile = await tf.profile(async () => {
        await trained.trainOnBatch(x, y);
      });
    } finally {
      gpuProgramsPerStep = shaders.stop()?.length ?? null;
    }
    const timed = profile.kernels.filter((k) => typeof k.kernelTimeMs === 'number' && Number.isFinite(k.kernelTimeMs));
    const byName = new Map<string, { name: string; count: number; ms: number }>();
    for (const k of timed) {
      const entry = byName.get(k.name) ?? { name: k.name, count: 0, ms: 0 };
      entry.count++;
      entry.ms += k.kernelTimeMs as number;
      byName.set(k.name, entry);
    }
    const kernelMs = timed.length ? timed.reduce((sum, k) => sum + (k.kernelTimeMs as number), 0) : null;
    const topKernels = [...byName.values()].sort((a, b) => b.ms - a.ms).slice(0, 8).map((e) => ({ ...e, ms: Math.round(e.ms * 10) / 10 }));
    return { stepMs: median(times), pipelinedStepMs, kernelsPerStep: profile.kernels.length, gpuProgramsPerStep, dispatchCpuMs, kernelMs, topKernels };
  } finally {
    optimizer?.dispose();
    trained.dispose();
    restore();
  }
}

/** The calling thread's CPU time in ms (Linux: /proc/thread-self/schedstat), or null. */
function threadCpuMs(): number | null {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return null;
  }
}

/**
 * Records the main thread's CPU time of each call of the model's train function (tfjs-layers'
 * makeTrainFunction, which trainOnBatch and fit call synchronously) into the returned array;
 * nothing where the thread's time or that method is not there.
 */
function timeTrainFunctionCpu(model: tfType.LayersModel): number[] {
  const times: number[] = [];
  const layers = model as unknown as { makeTrainFunction?: () => (data: tfType.Tensor[]) => tfType.Scalar[] };
  const make = layers.makeTrainFunction;
  if (typeof make !== 'function' || threadCpuMs() === null) return times;
  layers.makeTrainFunction = () => {
    const train = make.call(model);
    return (data) => {
      const start = threadCpuMs()!;
      try {
        return train(data);
      } finally {
        times.push(threadCpuMs()! - start);
      }
    };
  };
  return times;
}

/** tfjs's own WebGPU settings: its input gradient (activateBackend chooses the matMul-based one), a uniform buffer written for every shader (labgrade's cache off). */
function stockWebgpuSettings(tf: typeof tfType): () => void {
  if (tf.getBackend() !== 'webgpu') return () => undefined;
  const chosen = [NAIVE_TRANSPOSE, UNIFORM_CACHE_FLAG].map((flag) => tf.env().getBool(flag));
  tf.env().set(NAIVE_TRANSPOSE, true);
  tf.env().set(UNIFORM_CACHE_FLAG, false);
  return () => [NAIVE_TRANSPOSE, UNIFORM_CACHE_FLAG].forEach((flag, i) => tf.env().set(flag, chosen[i]));
}
