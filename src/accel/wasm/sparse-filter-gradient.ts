/**
 * wasm's Conv2DBackpropFilter when dy is mostly zeros: loops over dy's nonzero values only.
 *
 * A convolution followed by a ReLU and a max pooling (Lab 2's network, conv → relu → maxpool 8×8)
 * gets a gradient only at each window's maximum: of the first convolution's 2M dy values in a
 * batch of 64, at most 32,768 are nonzero. The op-built gradient (conv-gradients.ts) transposes x
 * and dy and hands dy to XNNPACK as a filter, which transposes and packs it again: 17.8 ms of a
 * 40 ms step (tf.profile), for 100M multiply-adds of which 98% are by zero. Here each nonzero dy
 * value adds its products with the input values its window met, 1.6M multiply-adds: 4.5 ms with
 * the scan for them.
 *
 * Where dy has more nonzeros than that pays for, or x has a non-finite value (dense sums give NaN
 * for 0 · ∞, which skipping the zeros would not), the dense kernel runs instead: the count stops
 * as soon as it passes the limit, so a dense dy costs a few thousand comparisons.
 */
import type * as tfType from '@tensorflow/tfjs';
import type { WasmHeapBackend } from './wasm-heap.js';
import type { FilterGradientAttrs } from './conv-gradients.js';

type Tf = typeof tfType;
type Conv2DInfo = tfType.backend_util.Conv2DInfo;

/**
 * The sparse loops run when their multiply-adds are at most this many per dy value. On Lab 2's
 * first convolution the dense path costs ≈ 9 ns per dy value (transposes, XNNPACK's packing, the
 * product on two threads); here the scan costs ≈ 0.9 ns per dy value and a multiply-add ≈ 1.8 ns,
 * so they break even near 4: 2 leaves room for other shapes and machines.
 */
const SPARSE_MULTIPLY_ADDS_PER_DY_VALUE = 2;

/**
 * Positions of dy's nonzero values (NaN included; ±0 are zeros), or null once there are more than
 * `limit`. A value is ±0 where its bits but the sign are all zero, so eight values are skipped
 * at once where the bits of all eight, or'ed and shifted past the sign, are zero.
 */
export function nonzeroPositions(dy: Float32Array, limit: number): Int32Array | null {
  const found = new Int32Array(Math.min(limit, dy.length));
  const bits = new Int32Array(dy.buffer, dy.byteOffset, dy.length);
  let count = 0;
  const blocks = dy.length - (dy.length % 8);
  for (let i = 0; i < dy.length; i += 8) {
    const end = Math.min(i + 8, dy.length);
    if (i < blocks && ((bits[i] | bits[i + 1] | bits[i + 2] | bits[i + 3] | bits[i + 4] | bits[i + 5] | bits[i + 6] | bits[i + 7]) << 1) === 0) continue;
    for (let j = i; j < end; j++) {
      if (bits[j] << 1 === 0) continue;
      if (count === limit) return null;
      found[count++] = j;
    }
  }
  return found.subarray(0, count);
}

function allFinite(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) {
    // v − v is 0 for finite values and NaN for ±∞ and NaN.
    if (values[i] - values[i] !== 0) return false;
  }
  return true;
}

/**
 * dW[i, j, c, k] = Σ over dy's nonzero (n, p, q, k) of dy · x[n, p·s + i − top, q·s + j − left, c],
 * summed in float64 in (n, p, q) order and rounded once: as the stock cpu kernel sums, so the same
 * bits (its zero terms change no sum). The dense kernels sum in float32.
 */
export function sparseFilterGradient(x: Float32Array, dy: Float32Array, nonzero: Int32Array, info: Conv2DInfo, dW: Float32Array): void {
  const { inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const { top, left } = info.padInfo;
  // A filter row's kw · C values are consecutive in x (one input row, kw pixels) and, summed by
  // output channel, in these sums: [K][kh][kw][C], put in dW's [kh][kw][C][K] order at the end.
  const rowLength = filterWidth * inChannels;
  const perChannel = filterHeight * rowLength;
  const sums = new Float64Array(outChannels * perChannel);
  for (let z = 0; z < nonzero.length; z++) {
    const at = nonzero[z];
    const k = at % outChannels;
    const pixel = (at - k) / outChannels;
    const q = pixel % outWidth;
    const p = ((pixel - q) / outWidth) % outHeight;
    const n = Math.floor(pixel / (outWidth * outHeight));
    const g = dy[at];
    const col0 = q * strideWidth - left;
    // The part of the filter row inside the input: padding columns contribute nothing.
    const from = Math.max(0, -col0) * inChannels;
    const to = Math.min(filterWidth, inWidth - col0) * inChannels;
    for (let i = 0; i < filterHeight; i++) {
      const row = p * strideHeight + i - top;
      if (row < 0 || row >= inHeight) continue;
      const xRow = ((n * inHeight + row) * inWidth + col0) * inChannels;
      const sumRow = k * perChannel + i * rowLength;
      // Four at a time: V8 does not unroll, and this loop is the kernel's time (Lab 2: 2.1 against
      // 3.4 ms one at a time).
      let m = from;
      for (; m + 4 <= to; m += 4) {
        const s = sumRow + m;
        const v = xRow + m;
        sums[s] += g * x[v];
        sums[s + 1] += g * x[v + 1];
        sums[s + 2] += g * x[v + 2];
        sums[s + 3] += g * x[v + 3];
      }
      for (; m < to; m++) sums[sumRow + m] += g * x[xRow + m];
    }
  }
  for (let k = 0; k < outChannels; k++) {
    for (let f = 0; f < perChannel; f++) dW[f * outChannels + k] = sums[k * perChannel + f];
  }
}

/**
 * The sparse filter gradient as a kernel function, or null where the dense kernel should run:
 * a dtype other than float32, NCHW, too many nonzeros, or a non-finite input value. Shapes that do
 * not fit together are an error (the op-built kernel would return a gradient of the wrong size).
 */
function trySparse(tf: Tf, { inputs, attrs, backend }: { inputs: tfType.NamedTensorInfoMap; attrs?: tfType.NamedAttrMap; backend: unknown }): tfType.TensorInfo | null {
  const { x, dy } = inputs as { x?: tfType.TensorInfo; dy?: tfType.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as FilterGradientAttrs;
  if (!x || !dy || x.dtype !== 'float32' || dy.dtype !== 'float32' || x.shape.length !== 4 || (dataFormat ?? 'NHWC') !== 'NHWC') return null;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode);
  if (filterShape[2] !== info.inChannels) throw new Error(`Conv2DBackpropFilter: the filter shape [${filterShape}] takes ${filterShape[2]} input channels, x [${x.shape}] has ${info.inChannels}`);
  const dyShape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  if (dy.shape.join() !== dyShape.join()) throw new Error(`Conv2DBackpropFilter: dy has shape [${dy.shape}]; x [${x.shape}] convolved with a [${filterShape}] filter gives [${dyShape}]`);
  const heap = backend as WasmHeapBackend;
  const multiplyAddsPerNonzero = info.filterHeight * info.filterWidth * info.inChannels;
  const limit = Math.floor((SPARSE_MULTIPLY_ADDS_PER_DY_VALUE * tf.util.sizeFromShape(dy.shape)) / multiplyAddsPerNonzero);
  const nonzero = nonzeroPositions(heap.typedArrayFromHeap(dy), limit);
  if (!nonzero || !allFinite(heap.typedArrayFromHeap(x))) return null;
  const dW = heap.makeOutput(filterShape, 'float32');
  sparseFilterGradient(heap.typedArrayFromHeap(x), heap.typedArrayFromHeap(dy), nonzero, info, heap.typedArrayFromHeap(dW));
  return dW;
}

/**
 * Puts the sparse path in front of wasm's registered Conv2DBackpropFilter (labgrade's op-built
 * one, registered first), which still runs wherever dy is dense.
 */
export function registerSparseFilterGradient(tf: Tf): void {
  const dense = tf.getKernel('Conv2DBackpropFilter', 'wasm');
  if (!dense) throw new Error("registerSparseFilterGradient needs wasm's Conv2DBackpropFilter registered first");
  tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: (args) => trySparse(tf, args) ?? dense.kernelFunc(args),
  });
}
