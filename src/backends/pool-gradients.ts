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
 * Index of the window's first maximum in row-major order. `known` is the maximum if the forward
 * pass gave it (finite or +∞): the first value equal to it is then returned, or -1 if none is.
 * Otherwise (null) the maximum is found by a running comparison: -1 if no value exceeds -∞.
 */
function firstMaximum(x: Float32Array, known: number | null, b: number, r0: number, c0: number, ch: number, info: tfType.backend_util.Conv2DInfo): number {
  const { inHeight, inWidth, inChannels: channels, filterHeight, filterWidth, dilationHeight, dilationWidth } = info;
  let best = -Infinity;
  let at = -1;
  for (let wr = 0; wr < filterHeight; wr++) {
    const r = r0 + wr * dilationHeight;
    if (r < 0 || r >= inHeight) continue;
    const row = (b * inHeight + r) * inWidth;
    for (let wc = 0; wc < filterWidth; wc++) {
      const c = c0 + wc * dilationWidth;
      if (c < 0 || c >= inWidth) continue;
      const i = (row + c) * channels + ch;
      const v = x[i];
      if (known !== null) {
        if (v === known) return i;
      } else if (v > best) {
        best = v;
        at = i;
      }
    }
  }
  return at;
}

/**
 * Adds each window's dy to the first maximum of its x values (NHWC, float32): windows whose
 * values are all NaN or -∞ pass nothing on, as in the cpu kernel. `dx` must hold zeros. Where
 * windows overlap, a value's shares are summed in float32 as they come (the cpu kernel sums in
 * double and rounds once): the two can differ in the last bit.
 */
function addMaxPoolGradient(x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, info: tfType.backend_util.Conv2DInfo): void {
  const { batchSize, inChannels: channels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { top, left } = info.padInfo;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      // The window's first row and column in the input (negative inside the padding).
      const r0 = oh * strideHeight - top;
      for (let ow = 0; ow < outWidth; ow++) {
        const c0 = ow * strideWidth - left;
        const out = ((b * outHeight + oh) * outWidth + ow) * channels;
        for (let ch = 0; ch < channels; ch++) {
          // The forward pass's maximum is known: the first value equal to it is the first maximum,
          // found in half a window on average with one comparison a value (Lab 2's first pooling,
          // tf.profile of a step: 7.7–8.9 ms before, 4.7–6.7 ms now). A maximum that is NaN or
          // -∞, or not found, takes the running-maximum scan, which passes nothing on for windows
          // of only NaN and -∞, as the cpu kernel does.
          const target = y[out + ch];
          let at = target > -Infinity ? firstMaximum(x, target, b, r0, c0, ch, info) : -1;
          if (at < 0) at = firstMaximum(x, null, b, r0, c0, ch, info);
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
