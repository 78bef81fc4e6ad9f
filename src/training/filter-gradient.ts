/**
 * While labgrade trains, webgpu's Conv2DBackpropFilter is the tiled product of
 * webgpu-filter-gradient.ts instead of tfjs's shader; the returned function puts tfjs's back.
 * Kernels are registered per backend name for the whole process: where the webgpu backend is
 * not loaded there is nothing to replace, and a second call while labgrade's is in changes nothing.
 */
import type * as tfType from '@tensorflow/tfjs';
import { tiledFilterGradient } from '../backends/webgpu-filter-gradient.js';

const KERNEL = 'Conv2DBackpropFilter';
const BACKEND = 'webgpu';
/** Marks labgrade's kernel function. */
const LABGRADE = Symbol('labgrade kernel');

export function useTiledFilterGradient(tf: typeof tfType): () => void {
  const stock = tf.getKernel(KERNEL, BACKEND);
  if (!stock || (stock.kernelFunc as { [LABGRADE]?: true })[LABGRADE]) return () => undefined;
  tf.unregisterKernel(KERNEL, BACKEND);
  tf.registerKernel({ ...stock, kernelFunc: Object.assign(tiledFilterGradient(tf, stock.kernelFunc), { [LABGRADE]: true as const }) });
  return () => {
    tf.unregisterKernel(KERNEL, BACKEND);
    tf.registerKernel(stock);
  };
}
