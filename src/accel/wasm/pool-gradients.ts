/**
 * A max-pool gradient for wasm, written as loops over the wasm heap. wasm's own MaxPoolGrad was
 * half of a Lab 2 training step, and with overlapping windows (Lab 1's f 2 / stride 1 case) it
 * disagrees with the cpu kernel on 2 of 150 values. An earlier version built from tf ops (strided
 * views, argMax, one-hots) took 1.0 s of a ResNet50 step for its one 3×3 / stride 2 pooling; one
 * pass over the windows takes milliseconds. Each window's gradient goes to its first maximum in
 * row-major order, as the stock cpu kernel does.
 */
import type * as tfType from '@tensorflow/tfjs';
import type { WasmHeapBackend } from './wasm-heap.js';

type Tf = typeof tfType;

interface MaxPoolGradAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tfType.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * One channel of a window, clipped to the input (the padding's rows and columns are left out):
 * x[first] is its first value; it has `rows` rows of `cols` values, `channels` apart in a row and
 * `rowStride` apart between rows.
 */
interface Window {
  first: number;
  rows: number;
  cols: number;
  rowStride: number;
}

/** Index of the window's first value equal to `known` in row-major order, or -1. */
function firstEqual(x: Float32Array, known: number, w: Window, channels: number): number {
  for (let r = 0, row = w.first; r < w.rows; r++, row += w.rowStride) {
    const end = row + w.cols * channels;
    for (let i = row; i < end; i += channels) {
      if (x[i] === known) return i;
    }
  }
  return -1;
}

/** Index of the window's first maximum by a running comparison: -1 if no value exceeds -∞. */
function firstLargest(x: Float32Array, w: Window, channels: number): number {
  let best = -Infinity;
  let at = -1;
  for (let r = 0, row = w.first; r < w.rows; r++, row += w.rowStride) {
    const end = row + w.cols * channels;
    for (let i = row; i < end; i += channels) {
      if (x[i] > best) {
        best = x[i];
        at = i;
      }
    }
  }
  return at;
}

/**
 * Adds each window's dy to the first maximum of its x values (NHWC, float32, no dilation):
 * windows whose values are all NaN or -∞ pass nothing on, as in the cpu kernel. `dx` must hold
 * zeros. Where windows overlap, a value's shares are summed in float32 as they come (the cpu
 * kernel sums in double and rounds once): the two can differ in the last bit.
 */
function addMaxPoolGradient(x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, info: tfType.backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  const w: Window = { first: 0, rows: 0, cols: 0, rowStride: inWidth * channels };
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      // The window's rows and columns in the input (negative inside the padding), clipped once
      // here rather than checked at each value (Lab 2's first pooling: 4.9 → 2.8 ms).
      const rowStart = Math.max(0, oh * strideHeight - top);
      w.rows = Math.min(inHeight, oh * strideHeight - top + filterHeight) - rowStart;
      for (let ow = 0; ow < outWidth; ow++) {
        const colStart = Math.max(0, ow * strideWidth - left);
        w.cols = Math.min(inWidth, ow * strideWidth - left + filterWidth) - colStart;
        const corner = ((b * inHeight + rowStart) * inWidth + colStart) * channels;
        const out = ((b * outHeight + oh) * outWidth + ow) * channels;
        for (let ch = 0; ch < channels; ch++) {
          w.first = corner + ch;
          // The forward pass's maximum is known: the first value equal to it is the first maximum,
          // found in half a window on average with one comparison a value. A maximum that is NaN
          // or -∞, or not found, takes the running-maximum scan, which passes nothing on for
          // windows of only NaN and -∞, as the cpu kernel does.
          const target = y[out + ch];
          let at = target > -Infinity ? firstEqual(x, target, w, channels) : -1;
          if (at < 0) at = firstLargest(x, w, channels);
          if (at >= 0) dx[at] += dy[out + ch];
        }
      }
    }
  }
}

/** Replaces wasm's MaxPoolGrad with addMaxPoolGradient over its heap. */
export function registerMaxPoolGradKernel(tf: Tf): void {
  if (tf.getKernel('MaxPoolGrad', 'wasm')) tf.unregisterKernel('MaxPoolGrad', 'wasm');
  tf.registerKernel({
    kernelName: 'MaxPoolGrad',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { dy, input, output } = inputs as { dy?: tfType.TensorInfo; input?: tfType.TensorInfo; output?: tfType.TensorInfo };
      if (!dy || !input || !output || input.shape.length !== 4 || input.dtype !== 'float32') throw new Error('MaxPoolGrad takes a float32 4-D input, the forward output and dy');
      const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as MaxPoolGradAttrs;
      const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
      const heap = backend as unknown as WasmHeapBackend;
      // The output first: allocating can grow the heap, which detaches earlier views of it.
      const dx = heap.makeOutput(input.shape, 'float32');
      const dxValues = heap.typedArrayFromHeap(dx);
      dxValues.fill(0);
      addMaxPoolGradient(heap.typedArrayFromHeap(input), heap.typedArrayFromHeap(output), heap.typedArrayFromHeap(dy), dxValues, info);
      return dx;
    },
  });
}
