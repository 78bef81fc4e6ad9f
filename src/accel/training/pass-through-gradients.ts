/**
 * Gradients that hand dy on unchanged, made without kernels while labgrade trains. tfjs's Add
 * gradient reshapes dy for each input even where the input has dy's shape, and its Identity
 * gradient casts float32 dy to float32: a kernel each that computes nothing (ResNet50: 32 Reshape
 * and 16 Cast a step, from its 16 shortcut additions, which tfjs-layers starts with a clone). Here
 * those inputs get a reference to dy's data (tape-saves.ts), the same tensor values; an Add input
 * that was broadcast, or a dy of another dtype, gets tfjs's own gradient.
 */
import type * as tfType from '@tensorflow/tfjs';
import { referenceTo } from './tape-saves.js';
import { replaceGradients } from './replace-gradients.js';

export function passGradientsByReference(tf: typeof tfType): () => void {
  const sameShape = (t: tfType.Tensor, dy: tfType.Tensor) => t.shape.join() === dy.shape.join();
  return replaceGradients(tf, {
    Add: (stock) => (dy, saved, attrs) => {
      const [a, b] = saved;
      const d = dy as tfType.Tensor;
      if (d.dtype !== 'float32' || !sameShape(a, d) || !sameShape(b, d)) return stock.gradFunc(dy, saved, attrs);
      return { a: () => referenceTo(tf, d), b: () => referenceTo(tf, d) };
    },
    Identity: (stock) => (dy, saved, attrs) => {
      const d = dy as tfType.Tensor;
      return d.dtype === 'float32' ? { x: () => referenceTo(tf, d) } : stock.gradFunc(dy, saved, attrs);
    },
  });
}
