/**
 * The accelerators' one entry point: labgrade's kernels and fusions, by target (wasm/, webgpu/,
 * training/). backends/choice.ts installs a backend's kernels when it starts one; the course's
 * training recipe (training/train-model.ts) switches the training code on around fit. Which
 * backend may run what is backends/' rule, not this wing's.
 */
import type * as tfType from '@tensorflow/tfjs';
import { registerConvGradientKernels } from './wasm/conv-gradients.js';
import { registerMaxPoolGradKernel } from './wasm/pool-gradients.js';
import { registerSparseFilterGradient } from './wasm/sparse-filter-gradient.js';
import { registerSharedIdentityKernel } from './wasm/shared-identity.js';
import { registerWebgpuTrainingKernels } from './webgpu/training-kernels.js';
import type { WebgpuPackage } from './webgpu/program.js';
import { registerFilterBiasGradient } from './webgpu/filter-gradient.js';
import { cacheUniforms } from './webgpu/uniform-cache.js';

export { adamForBackend, useLabgradeTrainingCode } from './training/training-code.js';
export type { WebgpuPackage } from './webgpu/program.js';

type Tf = typeof tfType;

/**
 * wasm lacks Conv2DBackpropFilter (without it nothing with a convolution trains), its
 * Conv2DBackpropInput and MaxPoolGrad are slow (ResNet50: 7.1 s of a 15.6 s step for the former),
 * and its Identity copies what the cpu backend shares: labgrade's kernels, registered once per
 * process, before or after the backend starts.
 */
export function accelerateWasm(tf: Tf): void {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  registerConvGradientKernels(tf, 'wasm');
  registerSparseFilterGradient(tf);
  registerMaxPoolGradKernel(tf);
  registerSharedIdentityKernel(tf, 'wasm');
}

/** labgrade's WebGPU kernels and settings, on the webgpu backend just started. */
export function accelerateWebgpu(tf: Tf, webgpuPackage: WebgpuPackage): void {
  registerWebgpuTrainingKernels(tf, webgpuPackage.webgpu_util);
  registerFilterBiasGradient(tf);
  cacheUniforms(tf, tf.backend());
  // The matMul-based input gradient instead of tfjs's naive shader: a ResNet50 step 19–25% faster
  // on an H100 (two device runs; docs/bench/gpu.md).
  tf.env().set('WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE', false);
}
