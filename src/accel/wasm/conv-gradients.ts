/**
 * Convolution gradient kernels built from ordinary tf ops, for backends whose own are missing or
 * slow. tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter at all, so nothing with a Conv2D trains
 * on it; these make it train. Only the NHWC layout with dilation 1 is handled: that is what
 * tfjs's Conv2D gradient produces (it refuses dilated convolutions before it gets here).
 */
import type * as tfType from '@tensorflow/tfjs';

type Tf = typeof tfType;
type Tensor4D = tfType.Tensor4D;
type Conv2DInfo = ReturnType<Tf['backend_util']['computeConv2DInfo']>;

export interface BackpropAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tfType.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Conv2DBackpropFilter's attributes. */
export interface FilterGradientAttrs extends BackpropAttrs {
  filterShape: [number, number, number, number];
}

function conv2dInfo(tf: Tf, xShape: number[], filterShape: number[], attrs: BackpropAttrs): Conv2DInfo {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') {
    throw new Error(`labgrade's convolution gradients support NHWC only, got ${attrs.dataFormat}`);
  }
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
}

const noPadding = (info: Conv2DInfo) => info.padInfo.top === 0 && info.padInfo.bottom === 0 && info.padInfo.left === 0 && info.padInfo.right === 0;

/**
 * dW[i, j, c, k] = Σ_{n,p,q} x[n, p·s + i − top, q·s + j − left, c] · dy[n, p, q, k].
 * 1×1 filters: one matrix product of the strided input with dy. Otherwise a stride-1 convolution
 * with the roles swapped: channels become the batch, the batch becomes the channels, and dy is the
 * filter, dilated by the stride.
 */
export function conv2dBackpropFilterFromOps(tf: Tf, x: Tensor4D, dy: Tensor4D, filterShape: [number, number, number, number], attrs: BackpropAttrs): Tensor4D {
  const info = conv2dInfo(tf, x.shape, filterShape, attrs);
  const [kh, kw, inChannels, outChannels] = filterShape;
  const { strideHeight: sh, strideWidth: sw, outHeight, outWidth, batchSize } = info;
  return tf.tidy(() => {
    if (kh === 1 && kw === 1 && noPadding(info)) {
      // Every sh-th row and sw-th column, as a 1×1 average pool: wasm's StridedSlice took 69 ms
      // where this takes 1 ms (ResNet50's [32, 15, 15, 256]).
      const strided = sh === 1 && sw === 1 ? x : tf.avgPool(x, 1, [sh, sw], 'valid');
      const rows = batchSize * outHeight * outWidth;
      // An explicit transpose: wasm's matMul with transposeA is many times slower.
      const xT = tf.transpose(tf.reshape(strided, [rows, inChannels]));
      return tf.reshape(tf.matMul(xT, tf.reshape(dy, [rows, outChannels])), filterShape) as Tensor4D;
    }
    const { top, bottom, left, right } = info.padInfo;
    const xAsBatch = tf.transpose(x, [3, 1, 2, 0]); // [C, H, W, N]
    const dyAsFilter = tf.transpose(dy, [1, 2, 0, 3]); // [outH, outW, N, K]
    const full = tf.conv2d(xAsBatch, dyAsFilter, 1, [[0, 0], [top, bottom], [left, right], [0, 0]], 'NHWC', [sh, sw]);
    // The bottom/right padding may reach past the last window the forward pass used.
    const trimmed = full.shape[1] === kh && full.shape[2] === kw ? full : tf.slice(full, [0, 0, 0, 0], [inChannels, kh, kw, outChannels]);
    return tf.transpose(trimmed, [1, 2, 0, 3]) as Tensor4D;
  });
}

/**
 * Inserts stride − 1 zeros between the rows and columns of dy (a transposed convolution's input).
 * Rows, then columns, each a pad of a rank-4 view: tfjs-webgpu cannot pad rank-6 tensors.
 */
function interleaveZeros(tf: Tf, dy: Tensor4D, sh: number, sw: number): Tensor4D {
  if (sh === 1 && sw === 1) return dy;
  const [n, h, w, c] = dy.shape;
  const rows = tf.reshape(tf.pad(tf.reshape(dy, [n, h, 1, w * c]), [[0, 0], [0, 0], [0, sh - 1], [0, 0]]), [n * h * sh, w, 1, c]);
  const spread = tf.reshape(tf.pad(rows, [[0, 0], [0, 0], [0, sw - 1], [0, 0]]), [n, h * sh, w * sw, c]);
  return tf.slice(spread, [0, 0, 0, 0], [n, (h - 1) * sh + 1, (w - 1) * sw + 1, c]) as Tensor4D;
}

/**
 * The filter rotated by 180° (its kh·kw positions in reverse order), as a product with the
 * reversed identity: wasm's Reverse took 76 ms for a [3, 3, 512, 512] filter, the product 7 ms.
 * Exact for finite filters (each value times 1 plus zeros).
 */
function rotate180(tf: Tf, filter: Tensor4D): Tensor4D {
  const [kh, kw] = filter.shape;
  const reversedIdentity = tf.reverse(tf.eye(kh * kw), [0]);
  return tf.reshape(tf.matMul(reversedIdentity, tf.reshape(filter, [kh * kw, -1])), filter.shape) as Tensor4D;
}

/**
 * dx = the transposed convolution of dy: dy with zeros interleaved by the stride, padded by
 * (k − 1 − pad), convolved with the filter rotated by 180° and its channel axes swapped.
 * 1×1 filters: one matrix product, then the zeros interleaved.
 */
export function conv2dBackpropInputFromOps(tf: Tf, dy: Tensor4D, filter: Tensor4D, inputShape: [number, number, number, number], attrs: BackpropAttrs): Tensor4D {
  const info = conv2dInfo(tf, inputShape, filter.shape, attrs);
  const [kh, kw, inChannels, outChannels] = filter.shape;
  const [batch, height, width] = inputShape;
  const { strideHeight: sh, strideWidth: sw, outHeight, outWidth } = info;
  return tf.tidy(() => {
    const fitToInput = (t: Tensor4D): Tensor4D => {
      // Rows/columns the forward windows never reached get no gradient: slice, or pad with zeros.
      const padH = height - t.shape[1];
      const padW = width - t.shape[2];
      if (padH === 0 && padW === 0) return t;
      const sliced = tf.slice(t, [0, 0, 0, 0], [batch, Math.min(height, t.shape[1]), Math.min(width, t.shape[2]), inChannels]);
      return tf.pad(sliced, [[0, 0], [0, Math.max(0, padH)], [0, Math.max(0, padW)], [0, 0]]);
    };
    if (kh === 1 && kw === 1 && noPadding(info)) {
      const rows = batch * outHeight * outWidth;
      const filterT = tf.transpose(tf.reshape(filter, [inChannels, outChannels]));
      const dxSmall: Tensor4D = tf.reshape(tf.matMul(tf.reshape(dy, [rows, outChannels]), filterT), [batch, outHeight, outWidth, inChannels]) as Tensor4D;
      return fitToInput(interleaveZeros(tf, dxSmall, sh, sw));
    }
    const { top, left } = info.padInfo;
    const spread = interleaveZeros(tf, dy, sh, sw);
    const rotated = tf.transpose(rotate180(tf, filter), [0, 1, 3, 2]); // [kh, kw, K, C]
    const padTop = kh - 1 - top;
    const padLeft = kw - 1 - left;
    // Enough bottom/right padding to reach the input's size; fitToInput trims any excess.
    const padBottom = Math.max(0, height + kh - 1 - spread.shape[1] - padTop);
    const padRight = Math.max(0, width + kw - 1 - spread.shape[2] - padLeft);
    if (padTop < 0 || padLeft < 0) throw new Error(`padding larger than the filter (${top}, ${left} for ${kh}×${kw}) is not supported`);
    const dx = tf.conv2d(spread, rotated, 1, [[0, 0], [padTop, padBottom], [padLeft, padRight], [0, 0]]);
    return fitToInput(dx);
  });
}

/** The kernels' inputs arrive as tensors from the gradient functions; anything else is a bare TensorInfo. */
function asTensor(tf: Tf, info: tfType.TensorInfo | undefined): Tensor4D {
  if (!info) throw new Error('a convolution gradient kernel was called without its inputs');
  if (info instanceof tf.Tensor) return info as Tensor4D;
  return tf.engine().makeTensorFromTensorInfo(info) as Tensor4D;
}

type FourD = [number, number, number, number];

/** The op-built kernels, by name. */
const KERNELS: Record<string, (tf: Tf, config: { inputs: tfType.NamedTensorInfoMap; attrs: BackpropAttrs & Record<string, unknown> }) => Tensor4D> = {
  Conv2DBackpropFilter: (tf, { inputs, attrs }) => conv2dBackpropFilterFromOps(tf, asTensor(tf, inputs.x), asTensor(tf, inputs.dy), attrs.filterShape as FourD, attrs),
  Conv2DBackpropInput: (tf, { inputs, attrs }) => conv2dBackpropInputFromOps(tf, asTensor(tf, inputs.dy), asTensor(tf, inputs.filter), attrs.inputShape as FourD, attrs),
};

/** Registers the op-built Conv2DBackpropFilter and Conv2DBackpropInput for `backendName`, in place of its own. */
export function registerConvGradientKernels(tf: Tf, backendName: string): void {
  for (const [kernelName, build] of Object.entries(KERNELS)) {
    if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel({ kernelName, backendName, kernelFunc: ({ inputs, attrs }) => build(tf, { inputs, attrs: attrs as unknown as BackpropAttrs & Record<string, unknown> }) });
  }
}
