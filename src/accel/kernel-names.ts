/**
 * The names of labgrade's own training kernels (written for WebGPU: webgpu/training-kernels.ts):
 * the training code asks for a kernel by name and uses tfjs's ops where the backend in use has
 * none.
 */
import type * as tfType from '@tensorflow/tfjs';

export const FLAT_CONCAT = 'LabgradeFlatConcat';
export const FLAT_SPLIT = 'LabgradeFlatSplit';
export const ADAM_FLAT = 'LabgradeAdamFlat';
export const RELU_GRAD = 'LabgradeReluGrad';
export const ADD_RELU = 'LabgradeAddRelu';
export const BATCH_NORM_TRAINING = 'LabgradeBatchNormTraining';
export const NORMALIZE_GRAD = 'LabgradeNormalizeGrad';

/** Whether the backend in use has labgrade's kernel `name`. */
export function hasKernel(tf: typeof tfType, name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) != null;
}

/**
 * Whether labgrade's kernels on the backend in use apply the ReLU after a batch normalization or an
 * addition themselves: on WebGPU, where each kernel costs a dispatch; not on wasm, where tfjs's SIMD
 * ReLU and its gradient are faster than a pass of JavaScript.
 */
export function reluFusion(tf: typeof tfType): boolean {
  return hasKernel(tf, ADD_RELU);
}
