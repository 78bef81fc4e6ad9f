/**
 * One ResNet50 training step (trainOnBatch), timed and its kernels counted, with tfjs's own
 * training code (tfjs-layers' batch normalization, tf.train.adam, and on WebGPU tfjs's default
 * input gradient) or with labgrade's (the fused batch normalization and adamForBackend, as
 * `labgrade train` runs): the CPU benchmark and the GPU device script both report the ratio of
 * the two.
 */
import type * as tfType from '@tensorflow/tfjs';
import { resNet50 } from '../solutions/residual-networks.js';
import { adamForBackend } from '../src/training/train-model.js';
import { fuseBatchNormTraining } from '../src/training/fused-batch-norm.js';
import { median } from './median.js';

export type TrainingCode = 'tfjs' | 'labgrade';

export interface StepFigure {
  /** Median of `steps` steps after two warm-up ones. */
  stepMs: number;
  kernelsPerStep: number;
}

export async function resNet50Step(tf: typeof tfType, code: TrainingCode, x: tfType.Tensor, y: tfType.Tensor, steps: number): Promise<StepFigure> {
  const restore = code === 'labgrade' ? fuseBatchNormTraining(tf) : stockWebgpuSettings(tf);
  const model = resNet50();
  const optimizer = code === 'labgrade' ? adamForBackend(tf, 1e-3) : tf.train.adam(1e-3);
  try {
    model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const step = async () => {
      const start = performance.now();
      await model.trainOnBatch(x, y);
      return performance.now() - start;
    };
    await step();
    await step();
    const times: number[] = [];
    for (let i = 0; i < steps; i++) times.push(await step());
    const profile = await tf.profile(async () => {
      await model.trainOnBatch(x, y);
    });
    return { stepMs: median(times), kernelsPerStep: profile.kernels.length };
  } finally {
    optimizer.dispose();
    model.dispose();
    restore();
  }
}

/** tfjs's own WebGPU setting for the input gradient (activateBackend chooses the matMul-based one). */
function stockWebgpuSettings(tf: typeof tfType): () => void {
  if (tf.getBackend() !== 'webgpu') return () => undefined;
  const chosen = tf.env().getBool('WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE');
  tf.env().set('WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE', true);
  return () => tf.env().set('WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE', chosen);
}
