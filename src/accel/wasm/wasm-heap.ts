/**
 * The wasm backend's heap access, which its own kernels use (not in tfjs's public types).
 * Allocating an output can grow the heap, which detaches every view taken before it: take views
 * after the last makeOutput.
 */
import type * as tfType from '@tensorflow/tfjs';

export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tfType.DataType): tfType.TensorInfo;
  typedArrayFromHeap(info: tfType.TensorInfo): Float32Array;
}

/**
 * wasm's kernels `kernelNames`, each wrapped by `wrap` (given wasm's own, which it calls for what it
 * leaves), until the returned function puts wasm's own back. For labgrade's training only: grading
 * keeps wasm's kernels, whose results the committed expected outputs were made with. Nothing
 * happens off wasm, or where `marker`'s kernels are in place already (a training inside a training).
 */
export function wrapWasmKernels(tf: typeof tfType, kernelNames: string[], marker: symbol, wrap: (stock: tfType.KernelFunc, kernelName: string) => tfType.KernelFunc): () => void {
  if (tf.getBackend() !== 'wasm') return () => undefined;
  const stock = kernelNames.map((kernelName) => tf.getKernel(kernelName, 'wasm'));
  if (stock.some((config) => !config || (config.kernelFunc as unknown as Record<symbol, true | undefined>)[marker])) return () => undefined;
  const restore = () => {
    for (const config of stock as tfType.KernelConfig[]) {
      if (tf.getKernel(config.kernelName, 'wasm')) tf.unregisterKernel(config.kernelName, 'wasm');
      tf.registerKernel(config);
    }
  };
  try {
    for (const config of stock as tfType.KernelConfig[]) {
      const kernelFunc = Object.assign(wrap(config.kernelFunc, config.kernelName), { [marker]: true as const });
      tf.unregisterKernel(config.kernelName, 'wasm');
      // wasm's own setup with it: a backend started again binds the functions the fallback calls.
      tf.registerKernel({ ...config, kernelFunc });
    }
  } catch (err) {
    restore();
    throw err;
  }
  return restore;
}
