/**
 * A max-pool gradient built from tf ops for non-overlapping windows (stride = pool size, as in the
 * labs' 8×8/8 and 4×4/4 pools): wasm's own MaxPoolGrad kernel was half of a Lab 2 training step.
 * Each window's gradient goes to its first maximum in row-major order, as the stock kernels do.
 * Other windows keep the backend's own kernel.
 */
import type * as tfType from '@tensorflow/tfjs';

type Tf = typeof tfType;
type Tensor4D = tfType.Tensor4D;

export interface MaxPoolGradAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tfType.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** The op-built gradient, or null where the windows overlap or skip (stride ≠ pool size). */
export function maxPoolGradFromOps(tf: Tf, dy: Tensor4D, x: Tensor4D, attrs: MaxPoolGradAttrs): Tensor4D | null {
  const info = tf.backend_util.computePool2DInfo(x.shape, attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const { filterHeight: kh, filterWidth: kw, strideHeight, strideWidth, outHeight, outWidth } = info;
  if (strideHeight !== kh || strideWidth !== kw) return null;
  const [n, height, width, channels] = x.shape;
  const { top, left } = info.padInfo;
  const coveredH = outHeight * kh;
  const coveredW = outWidth * kw;
  return tf.tidy(() => {
    // Lay the windows out whole: pad with -∞ where 'same' padding reaches past the input, and
    // drop rows/columns no window covers ('valid' with a remainder).
    const exact = top === 0 && left === 0 && coveredH === height && coveredW === width;
    const padded = exact ? x : tf.pad(x, [[0, 0], [top, Math.max(0, coveredH - height - top)], [left, Math.max(0, coveredW - width - left)], [0, 0]], -Infinity);
    const whole = exact ? x : tf.slice(padded, [0, 0, 0, 0], [n, coveredH, coveredW, channels]);
    const windows = tf.reshape(tf.transpose(tf.reshape(whole, [n, outHeight, kh, outWidth, kw, channels]), [0, 1, 3, 5, 2, 4]), [n, outHeight, outWidth, channels, kh * kw]);
    // oneHot as int32, then cast: wasm's OneHot ignores a float32 dtype and returns the int bits.
    const firstMax = tf.cast(tf.oneHot(tf.argMax(windows, -1), kh * kw), 'float32');
    const routed = tf.mul(firstMax, tf.expandDims(dy, -1));
    const spread = tf.reshape(tf.transpose(tf.reshape(routed, [n, outHeight, outWidth, channels, kh, kw]), [0, 1, 4, 2, 5, 3]), [n, coveredH, coveredW, channels]);
    // Back to the input's frame: drop the padding, and give uncovered rows/columns zero gradient.
    if (exact) return spread as Tensor4D;
    const rows = Math.min(height, coveredH - top);
    const cols = Math.min(width, coveredW - left);
    const inside = tf.slice(spread, [0, top, left, 0], [n, rows, cols, channels]);
    return tf.pad(inside, [[0, 0], [0, height - rows], [0, width - cols], [0, 0]]) as Tensor4D;
  });
}

/** Puts the op-built gradient in front of `backendName`'s own MaxPoolGrad, which handles the rest. */
export function registerMaxPoolGradKernel(tf: Tf, backendName: string): void {
  const stock = tf.getKernel('MaxPoolGrad', backendName);
  if (!stock) throw new Error(`backend ${backendName} has no MaxPoolGrad kernel to fall back on`);
  tf.unregisterKernel('MaxPoolGrad', backendName);
  tf.registerKernel({
    kernelName: 'MaxPoolGrad',
    backendName,
    kernelFunc: (args) => {
      const { dy, input } = args.inputs;
      if (dy instanceof tf.Tensor && input instanceof tf.Tensor) {
        const fast = maxPoolGradFromOps(tf, dy as Tensor4D, input as Tensor4D, args.attrs as unknown as MaxPoolGradAttrs);
        if (fast) return fast;
      }
      return stock.kernelFunc(args);
    },
  });
}
