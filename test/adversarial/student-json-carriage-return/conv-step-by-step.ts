/**
 * Reference solution for Lab 1, "Convolution model - Step by Step".
 *
 * It keeps the course's loop structure (examples, rows, columns, channels) so that it reads like the
 * notebook; expected outputs in fixtures/ are generated from it (`labgrade fixtures generate`).
 */
import * as tf from '@tensorflow/tfjs';

export interface ConvHParameters {
  stride: number;
  pad: number;
}
export interface PoolHParameters {
  stride: number;
  f: number;
}
export type PoolMode = 'max' | 'average';
export type ConvCache = [APrev: tf.Tensor4D, W: tf.Tensor4D, b: tf.Tensor4D, hparameters: ConvHParameters];
export type PoolCache = [APrev: tf.Tensor4D, hparameters: PoolHParameters];

/** Pads the height and width axes of every image in X with `pad` zeros on each side. */
export function zeroPad(X: tf.Tensor4D, pad: number): tf.Tensor4D {
  // ### START CODE HERE ###
  const XPad = tf.pad(X, [[0, 0], [pad, pad], [pad, pad], [0, 0]]);
  // ### END CODE HERE ###
  return XPad;
}

/** One filter applied at one position: sum(aSlicePrev * W) + b, as a number. */
export function convSingleStep(aSlicePrev: tf.Tensor3D, W: tf.Tensor3D, b: tf.Tensor3D): number {
  // ### START CODE HERE ###
  const Z = tf.tidy(() => tf.sum(tf.mul(aSlicePrev, W)).add(b.reshape([])).dataSync()[0]);
  // ### END CODE HERE ###
  return Z;
}

/** Forward pass of a convolution layer; returns Z and the cache for the backward pass. */
export function convForward(
  APrev: tf.Tensor4D,
  W: tf.Tensor4D,
  b: tf.Tensor4D,
  hparameters: ConvHParameters,
): [tf.Tensor4D, ConvCache] {
  // ### START CODE HERE ###
  const [m, nHPrev, nWPrev] = APrev.shape;
  const [f, , nCPrev, nC] = W.shape;
  const { stride, pad } = hparameters;
  const nH = Math.floor((nHPrev - f + 2 * pad) / stride) + 1;
  const nW = Math.floor((nWPrev - f + 2 * pad) / stride) + 1;
  const Z = tf.buffer<tf.Rank.R4>([m, nH, nW, nC]);
  tf.tidy(() => {
    const APrevPad = zeroPad(APrev, pad);
    const filters = Array.from({ length: nC }, (_, c) => tf.slice(W, [0, 0, 0, c], [f, f, nCPrev, 1]).reshape([f, f, nCPrev]) as tf.Tensor3D);
    const biases = Array.from({ length: nC }, (_, c) => tf.slice(b, [0, 0, 0, c], [1, 1, 1, 1]).reshape([1, 1, 1]) as tf.Tensor3D);
    for (let i = 0; i < m; i++) {
      for (let h = 0; h < nH; h++) {
        for (let w = 0; w < nW; w++) {
          const vertStart = h * stride;
          const horizStart = w * stride;
          const aSlicePrev = tf.slice(APrevPad, [i, vertStart, horizStart, 0], [1, f, f, nCPrev]).reshape([f, f, nCPrev]) as tf.Tensor3D;
          for (let c = 0; c < nC; c++) {
            Z.set(convSingleStep(aSlicePrev, filters[c], biases[c]), i, h, w, c);
          }
        }
      }
    }
  });
  // ### END CODE HERE ###
  const cache: ConvCache = [APrev, W, b, hparameters];
  return [Z.toTensor(), cache];
}

/** Forward pass of a max or average pooling layer (no padding). */
export function poolForward(
  APrev: tf.Tensor4D,
  hparameters: PoolHParameters,
  mode: PoolMode = 'max',
): [tf.Tensor4D, PoolCache] {
  // ### START CODE HERE ###
  const [m, nHPrev, nWPrev, nC] = APrev.shape;
  const { stride, f } = hparameters;
  const nH = Math.floor((nHPrev - f) / stride) + 1;
  const nW = Math.floor((nWPrev - f) / stride) + 1;
  const A = tf.buffer<tf.Rank.R4>([m, nH, nW, nC]);
  tf.tidy(() => {
    for (let i = 0; i < m; i++) {
      for (let h = 0; h < nH; h++) {
        for (let w = 0; w < nW; w++) {
          for (let c = 0; c < nC; c++) {
            const aPrevSlice = tf.slice(APrev, [i, h * stride, w * stride, c], [1, f, f, 1]);
            const pooled = mode === 'max' ? tf.max(aPrevSlice) : tf.mean(aPrevSlice);
            A.set(pooled.dataSync()[0], i, h, w, c);
          }
        }
      }
    }
  });
  // ### END CODE HERE ###
  const cache: PoolCache = [APrev, hparameters];
  return [A.toTensor(), cache];
}

/** Backward pass of a convolution layer: gradients with respect to APrev, W and b. */
export function convBackward(dZ: tf.Tensor4D, cache: ConvCache): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] {
  // ### START CODE HERE ###
  const [APrev, W, , hparameters] = cache;
  const [m, nHPrev, nWPrev, nCPrev] = APrev.shape;
  const [f, , , nC] = W.shape;
  const { stride, pad } = hparameters;
  const [, nH, nW] = dZ.shape;
  const aPrevPad = tf.tidy(() => zeroPad(APrev, pad)).bufferSync();
  const weights = W.bufferSync();
  const dZValues = dZ.bufferSync();
  const dAPrevPad = tf.buffer<tf.Rank.R4>(aPrevPad.shape);
  const dW = tf.buffer<tf.Rank.R4>(W.shape);
  const db = tf.buffer<tf.Rank.R4>([1, 1, 1, nC]);
  for (let i = 0; i < m; i++) {
    for (let h = 0; h < nH; h++) {
      for (let w = 0; w < nW; w++) {
        for (let c = 0; c < nC; c++) {
          const vertStart = h * stride;
          const horizStart = w * stride;
          const dz = dZValues.get(i, h, w, c);
          // da_prev_pad[window] += W[:, :, :, c] * dz and dW[:, :, :, c] += a_slice * dz, element by element.
          for (let kh = 0; kh < f; kh++) {
            for (let kw = 0; kw < f; kw++) {
              for (let k = 0; k < nCPrev; k++) {
                const row = vertStart + kh;
                const col = horizStart + kw;
                dAPrevPad.set(dAPrevPad.get(i, row, col, k) + weights.get(kh, kw, k, c) * dz, i, row, col, k);
                dW.set(dW.get(kh, kw, k, c) + aPrevPad.get(i, row, col, k) * dz, kh, kw, k, c);
              }
            }
          }
          db.set(db.get(0, 0, 0, c) + dz, 0, 0, 0, c);
        }
      }
    }
  }
  // Unpad with a slice rather than the notebook's X[pad:-pad], which is empty when pad = 0.
  const dAPrev = tf.tidy(() => tf.slice(dAPrevPad.toTensor(), [0, pad, pad, 0], [m, nHPrev, nWPrev, nCPrev]));
  // ### END CODE HERE ###
  return [dAPrev, dW.toTensor(), db.toTensor()];
}

/** A bool mask that is true where x holds its maximum. */
export function createMaskFromWindow(x: tf.Tensor2D): tf.Tensor2D {
  // ### START CODE HERE ###
  const mask = tf.tidy(() => tf.equal(x, tf.max(x)));
  // ### END CODE HERE ###
  return mask as tf.Tensor2D;
}

/** Spreads dz evenly over a matrix of the given shape. */
export function distributeValue(dz: number, shape: [number, number]): tf.Tensor2D {
  // ### START CODE HERE ###
  const [nH, nW] = shape;
  const average = dz / (nH * nW);
  const a = tf.fill([nH, nW], average);
  // ### END CODE HERE ###
  return a as tf.Tensor2D;
}

/** Backward pass of a pooling layer: the gradient with respect to its input. */
export function poolBackward(dA: tf.Tensor4D, cache: PoolCache, mode: PoolMode = 'max'): tf.Tensor4D {
  // ### START CODE HERE ###
  const [APrev, hparameters] = cache;
  const { stride, f } = hparameters;
  const [m, nH, nW, nC] = dA.shape;
  const dAValues = dA.bufferSync();
  const dAPrev = tf.buffer<tf.Rank.R4>(APrev.shape);
  for (let i = 0; i < m; i++) {
    for (let h = 0; h < nH; h++) {
      for (let w = 0; w < nW; w++) {
        for (let c = 0; c < nC; c++) {
          const vertStart = h * stride;
          const horizStart = w * stride;
          const da = dAValues.get(i, h, w, c);
          const contribution = tf.tidy(() => {
            if (mode === 'max') {
              const aPrevSlice = tf.slice(APrev, [i, vertStart, horizStart, c], [1, f, f, 1]).reshape([f, f]) as tf.Tensor2D;
              return createMaskFromWindow(aPrevSlice).toFloat().mul(da).dataSync();
            }
            return distributeValue(da, [f, f]).dataSync();
          });
          for (let kh = 0; kh < f; kh++) {
            for (let kw = 0; kw < f; kw++) {
              const row = vertStart + kh;
              const col = horizStart + kw;
              dAPrev.set(dAPrev.get(i, row, col, c) + contribution[kh * f + kw], i, row, col, c);
            }
          }
        }
      }
    }
  }
  // ### END CODE HERE ###
  return dAPrev.toTensor();
}
