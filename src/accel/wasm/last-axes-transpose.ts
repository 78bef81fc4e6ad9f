/**
 * wasm's Transpose of the last two axes of large float32 tensors (a 1×1 filter's [in, out] for its
 * input gradient, a 3×3 filter's channels swapped), as a blocked copy over the heap while labgrade
 * trains. tfjs-wasm copies value by value, and for power-of-two sides its reads run into cache-set
 * conflicts: 9–11 ms for ResNet50's [2048, 512], which this does in 2.5–3. Each output column of
 * a tile is written in one run. Same values, bit for bit: only values move.
 */
import type * as tfType from '@tensorflow/tfjs';
import { wrapWasmKernels, type WasmHeapBackend } from './wasm-heap.js';

/** Rows and columns a tile: its rows' cache lines stay in the cache while its columns are written. */
const TILE = 32;

/** Below this many rows or columns, wasm's own is as fast (a [7200, 64] takes it 0.5 ms, this 1.1). */
const MIN_SIDE = 128;

/** Marks the kernel installed here, so a training inside a training leaves it be. */
const LAST_AXES_TRANSPOSE = Symbol('labgrade last-axes transpose');

/** Each of `batches` [rows, cols] matrices of `values` transposed into `out`, tile by tile. */
export function transposeLastAxes(values: Float32Array, out: Float32Array, batches: number, rows: number, cols: number): void {
  const size = rows * cols;
  for (let batch = 0; batch < batches; batch++) {
    const base = batch * size;
    for (let firstCol = 0; firstCol < cols; firstCol += TILE) {
      const endCol = Math.min(cols, firstCol + TILE);
      for (let firstRow = 0; firstRow < rows; firstRow += TILE) {
        const endRow = Math.min(rows, firstRow + TILE);
        for (let c = firstCol; c < endCol; c++) {
          const written = base + c * rows;
          for (let r = firstRow; r < endRow; r++) out[written + r] = values[base + r * cols + c];
        }
      }
    }
  }
}

/** Whether `perm` swaps the last two axes and keeps the others where they are. */
function swapsLastAxes(perm: number[]): boolean {
  const n = perm.length;
  return n >= 2 && perm[n - 2] === n - 1 && perm[n - 1] === n - 2 && perm.slice(0, -2).every((axis, i) => axis === i);
}

/** While labgrade trains on wasm, the blocked transpose in front of wasm's Transpose (which still runs every other), until the returned function puts wasm's own back. */
export function useLastAxesTranspose(tf: typeof tfType): () => void {
  return wrapWasmKernels(tf, ['Transpose'], LAST_AXES_TRANSPOSE, (stock) => (args) => {
    const { x } = args.inputs as { x: tfType.TensorInfo };
    const { perm } = args.attrs as unknown as { perm: number[] };
    const [rows, cols] = x.shape.slice(-2);
    if (x.dtype !== 'float32' || !swapsLastAxes(perm) || Math.min(rows, cols) < MIN_SIDE) return stock(args);
    const heap = args.backend as unknown as WasmHeapBackend;
    // The output first: allocating can grow the heap, which detaches earlier views of it.
    const out = heap.makeOutput(perm.map((axis) => x.shape[axis]), 'float32');
    transposeLastAxes(heap.typedArrayFromHeap(x), heap.typedArrayFromHeap(out), tf.util.sizeFromShape(x.shape.slice(0, -2)), rows, cols);
    return out;
  });
}
