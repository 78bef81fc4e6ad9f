/**
 * tfjs's Relu gradient is dy·cast(step(x)): three kernels a ReLU (ResNet50: 49 of them). Where the
 * backend has labgrade's ReluGrad kernel (WebGPU: webgpu/training-kernels.ts), the same value in
 * one kernel, until the returned function puts tfjs's gradient back. tfjs keeps one gradient per
 * kernel name for all backends: on a backend without the kernel (one switched to meanwhile),
 * tfjs's own gradient runs.
 */
import type * as tfType from '@tensorflow/tfjs';
import { hasKernel, RELU_GRAD } from '../kernel-names.js';
import { replaceGradients } from './replace-gradients.js';

export function useReluGradKernel(tf: typeof tfType): () => void {
  if (!hasKernel(tf, RELU_GRAD)) return () => undefined;
  return replaceGradients(tf, {
    Relu: (stock) => (dy, saved, attrs) => {
      if (!hasKernel(tf, RELU_GRAD)) return stock.gradFunc(dy, saved, attrs);
      const [x] = saved;
      return { x: () => tf.engine().runKernel(RELU_GRAD, { dy: dy as tfType.Tensor, x }) as tfType.Tensor };
    },
  });
}
