/**
 * A max-pool gradient built from tf ops. wasm's own MaxPoolGrad was half of a Lab 2 training step,
 * and with overlapping windows (Lab 1's f 2 / stride 1 case) it disagrees with the cpu kernel on 2
 * of 150 values. Each window's gradient goes to its first maximum in row-major order, as the
 * stock cpu kernel does.
 */
import type * as tfType from '@tensorflow/tfjs';
import { interleaveZeros } from './conv-gradients.js';

type Tf = typeof tfType;
type Tensor4D = tfType.Tensor4D;

export interface MaxPoolGradAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tfType.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export function maxPoolGradFromOps(tf: Tf, dy: Tensor4D, x: Tensor4D, attrs: MaxPoolGradAttrs): Tensor4D {
  const info = tf.backend_util.computePool2DInfo(x.shape, attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight, outWidth } = info;
  const [n, height, width, channels] = x.shape;
  const { top, left } = info.padInfo;
  // The input framed so that every window lies inside it: -∞ where 'same' padding reaches past it.
  const spanH = (outHeight - 1) * sh + kh;
  const spanW = (outWidth - 1) * sw + kw;
  const bottom = Math.max(0, spanH - height - top);
  const right = Math.max(0, spanW - width - left);
  const frameH = height + top + bottom;
  const frameW = width + left + right;
  return tf.tidy(() => {
    const framed = top || bottom || left || right ? tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]], -Infinity) : x;
    let spread: tfType.Tensor;
    if (sh === kh && sw === kw) {
      // Windows tile the frame: one reshape lays them out, one puts the gradient back.
      const whole = spanH === frameH && spanW === frameW ? framed : tf.slice(framed, [0, 0, 0, 0], [n, spanH, spanW, channels]);
      const windows = tf.reshape(tf.transpose(tf.reshape(whole, [n, outHeight, kh, outWidth, kw, channels]), [0, 1, 3, 5, 2, 4]), [n, outHeight, outWidth, channels, kh * kw]);
      const routed = routeToFirstMax(tf, windows, dy, kh * kw);
      const tiled = tf.reshape(tf.transpose(tf.reshape(routed, [n, outHeight, outWidth, channels, kh, kw]), [0, 1, 4, 2, 5, 3]), [n, spanH, spanW, channels]);
      spread = tf.pad(tiled, [[0, 0], [0, frameH - spanH], [0, frameW - spanW], [0, 0]]);
    } else {
      // Overlapping (or gapped) windows: one strided view per position in the window.
      const offsets = Array.from({ length: kh * kw }, (_, k) => [Math.floor(k / kw), k % kw] as const);
      const views = offsets.map(([i, j]) => tf.stridedSlice(framed, [0, i, j, 0], [n, i + (outHeight - 1) * sh + 1, j + (outWidth - 1) * sw + 1, channels], [1, sh, sw, 1]));
      // Each offset's share: dy where that offset holds the window's first maximum. (No unstack of
      // a one-hot: wasm's Unpack made ResNet50's one max-pool gradient take seconds.)
      const firstMax = tf.argMax(tf.stack(views, 4), -1);
      const placed = offsets.map(([i, j], k) => {
        const g = tf.mul(tf.cast(tf.equal(firstMax, k), 'float32'), dy) as Tensor4D;
        const dilated = interleaveZeros(tf, g, sh, sw);
        return tf.pad(dilated, [[0, 0], [i, frameH - i - dilated.shape[1]], [j, frameW - j - dilated.shape[2]], [0, 0]]);
      });
      spread = tf.addN(placed);
    }
    return (spread.shape[1] === height && spread.shape[2] === width ? spread : tf.slice(spread, [0, top, left, 0], [n, height, width, channels])) as Tensor4D;
  });
}

/** dy routed, per window, to the first maximum of its `size` values (the last axis). */
function routeToFirstMax(tf: Tf, windows: tfType.Tensor, dy: Tensor4D, size: number): tfType.Tensor {
  // oneHot as int32, then cast: wasm's OneHot ignores a float32 dtype and returns the int bits.
  const firstMax = tf.cast(tf.oneHot(tf.argMax(windows, -1), size), 'float32');
  return tf.mul(firstMax, tf.expandDims(dy, -1));
}

/** Replaces `backendName`'s MaxPoolGrad with the op-built one. */
export function registerMaxPoolGradKernel(tf: Tf, backendName: string): void {
  if (tf.getKernel('MaxPoolGrad', backendName)) tf.unregisterKernel('MaxPoolGrad', backendName);
  tf.registerKernel({
    kernelName: 'MaxPoolGrad',
    backendName,
    kernelFunc: ({ inputs, attrs }) => {
      const { dy, input } = inputs;
      if (!(dy instanceof tf.Tensor) || !(input instanceof tf.Tensor)) throw new Error('MaxPoolGrad was called without its inputs');
      return maxPoolGradFromOps(tf, dy as Tensor4D, input as Tensor4D, attrs as unknown as MaxPoolGradAttrs);
    },
  });
}
