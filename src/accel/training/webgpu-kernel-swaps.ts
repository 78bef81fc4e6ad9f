/**
 * While labgrade trains, two of tfjs-backend-webgpu's kernels are labgrade's; the returned function
 * puts tfjs's back.
 * - Conv2DBackpropFilter: the tiled matrix product of webgpu/filter-gradient.ts.
 * - Sum over every axis but the last (a bias gradient where no shader computes it with the filter
 *   gradient: a dense layer's, or a convolution's with an activation inside it or the tiled filter
 *   gradient's flag off): one shader where tfjs's runs two, a transpose bringing the summed axes
 *   last and then its sum.
 * Kernels are registered per backend name for the whole process: where the webgpu backend is not
 * loaded there is nothing to replace, and a second call while labgrade's are in changes nothing.
 */
import type * as tfType from '@tensorflow/tfjs';
import { tiledFilterGradient } from '../webgpu/filter-gradient.js';
import { leadingAxesSum } from '../webgpu/per-channel-sums.js';

type Tf = typeof tfType;

const BACKEND = 'webgpu';
/** Marks labgrade's kernel functions. */
const LABGRADE = Symbol('labgrade kernel');

const MAKERS: Record<string, (tf: Tf, stock: tfType.KernelFunc) => tfType.KernelFunc> = {
  Conv2DBackpropFilter: tiledFilterGradient,
  Sum: leadingAxesSum,
};

export function useLabgradeWebgpuKernels(tf: Tf): () => void {
  const names = Object.keys(MAKERS);
  const stock = names.map((name) => tf.getKernel(name, BACKEND));
  if (stock.some((config) => !config || (config.kernelFunc as { [LABGRADE]?: true })[LABGRADE])) return () => undefined;
  const swap = (config: tfType.KernelConfig) => {
    tf.unregisterKernel(config.kernelName, BACKEND);
    tf.registerKernel(config);
  };
  stock.forEach((config, i) => swap({ ...config!, kernelFunc: Object.assign(MAKERS[names[i]](tf, config!.kernelFunc), { [LABGRADE]: true as const }) }));
  return () => stock.forEach((config) => swap(config!));
}
