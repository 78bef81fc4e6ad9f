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

type Tf = typeof tfType;

/** Marks labgrade's gradients, so a second call (a training inside a training) leaves them be. */
const BY_REFERENCE = Symbol('labgrade gradient by reference');

export function passGradientsByReference(tf: Tf): () => void {
  const stock = ['Add', 'Identity'].map((name) => tf.getGradient(name));
  if (stock.some((config) => !config || (config.gradFunc as { [BY_REFERENCE]?: true })[BY_REFERENCE])) return () => undefined;
  const [add, identity] = stock as tfType.GradConfig[];
  const sameShape = (t: tfType.Tensor, dy: tfType.Tensor) => t.shape.join() === dy.shape.join();
  tf.registerGradient({
    ...add,
    gradFunc: Object.assign(
      (dy: tfType.Tensor | tfType.Tensor[], saved: tfType.Tensor[], attrs: tfType.NamedAttrMap) => {
        const [a, b] = saved;
        const d = dy as tfType.Tensor;
        if (d.dtype !== 'float32' || !sameShape(a, d) || !sameShape(b, d)) return add.gradFunc(dy, saved, attrs);
        return { a: () => referenceTo(tf, d), b: () => referenceTo(tf, d) };
      },
      { [BY_REFERENCE]: true as const },
    ),
  });
  tf.registerGradient({
    ...identity,
    gradFunc: Object.assign(
      (dy: tfType.Tensor | tfType.Tensor[], saved: tfType.Tensor[], attrs: tfType.NamedAttrMap) => {
        const d = dy as tfType.Tensor;
        return d.dtype === 'float32' ? { x: () => referenceTo(tf, d) } : identity.gradFunc(dy, saved, attrs);
      },
      { [BY_REFERENCE]: true as const },
    ),
  });
  return () => {
    tf.registerGradient(add);
    tf.registerGradient(identity);
  };
}
