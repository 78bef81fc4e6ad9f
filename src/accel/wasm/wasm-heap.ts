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
