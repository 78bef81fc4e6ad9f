/**
 * Lab 1: Convolution model - Step by Step (TensorFlow.js edition).
 *
 * Fill in the code between each `// ### START CODE HERE ###` and `// ### END CODE HERE ###` pair.
 * Do not rename the functions or change their signatures. Tensors are NHWC, as in the course:
 * images (m, n_H, n_W, n_C); conv weights (f, f, n_C_prev, n_C); biases (1, 1, 1, n_C).
 * For this lab, write explicit loops (over examples, rows, columns, channels) as the hints say:
 * the point is to see how convolution and pooling work, not to call tf.conv2d.
 *
 * Check your work with:  npx labgrade check conv-step-by-step.ts
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

/**
 * Pads with zeros the height and width of every image in X.
 * Returns X_pad of shape (m, n_H + 2 * pad, n_W + 2 * pad, n_C).
 */
export function zeroPad(X: tf.Tensor4D, pad: number): tf.Tensor4D {
  let XPad: tf.Tensor4D | null = null;
  // ### START CODE HERE ### (≈ 1 line)
  // Use tf.pad with one [before, after] pair per axis; pad only axes 1 and 2.
  // ### END CODE HERE ###
  return XPad!;
}

/**
 * Applies one filter W (f, f, n_C_prev) with bias b (1, 1, 1) to one slice of the input
 * (f, f, n_C_prev). Returns Z, a number.
 */
export function convSingleStep(aSlicePrev: tf.Tensor3D, W: tf.Tensor3D, b: tf.Tensor3D): number {
  let Z: number | null = null;
  // ### START CODE HERE ### (≈ 3 lines)
  // 1. Element-wise product of aSlicePrev and W (do not add the bias yet).
  // 2. Sum over all entries.
  // 3. Add the bias b and read the result out as a number (e.g. .dataSync()[0]).
  // ### END CODE HERE ###
  return Z!;
}

/**
 * Forward pass of a convolution layer.
 * APrev (m, n_H_prev, n_W_prev, n_C_prev), W (f, f, n_C_prev, n_C), b (1, 1, 1, n_C),
 * hparameters {stride, pad}. Returns [Z (m, n_H, n_W, n_C), cache].
 */
export function convForward(APrev: tf.Tensor4D, W: tf.Tensor4D, b: tf.Tensor4D, hparameters: ConvHParameters): [tf.Tensor4D, ConvCache] {
  let Z: tf.Tensor4D | null = null;
  // ### START CODE HERE ###
  // 1. Read m, n_H_prev, n_W_prev from APrev.shape, f and n_C from W.shape, stride and pad from
  //    hparameters (don't hard code them).
  // 2. n_H = floor((n_H_prev - f + 2 * pad) / stride) + 1, and the same for n_W.
  // 3. Pad APrev with zeroPad, and make the output with tf.buffer([m, n_H, n_W, n_C]).
  // 4. for i (examples), h (rows), w (columns), c (channels):
  //      vertStart = h * stride, vertEnd = vertStart + f, and the same for horizStart/horizEnd;
  //      aSlicePrev = the (f, f, n_C_prev) slice of padded example i at those corners (tf.slice);
  //      set Z[i, h, w, c] = convSingleStep(aSlicePrev, W[:, :, :, c], b[:, :, :, c]).
  // 5. Z = buffer.toTensor().
  // ### END CODE HERE ###
  const cache: ConvCache = [APrev, W, b, hparameters];
  return [Z!, cache];
}

/**
 * Forward pass of a pooling layer (no padding).
 * APrev (m, n_H_prev, n_W_prev, n_C), hparameters {f, stride}, mode 'max' or 'average'.
 * Returns [A (m, n_H, n_W, n_C), cache].
 */
export function poolForward(APrev: tf.Tensor4D, hparameters: PoolHParameters, mode: PoolMode = 'max'): [tf.Tensor4D, PoolCache] {
  let A: tf.Tensor4D | null = null;
  // ### START CODE HERE ###
  // 1. Read the dimensions from APrev.shape and f, stride from hparameters.
  // 2. n_H = floor((n_H_prev - f) / stride) + 1, the same for n_W; n_C stays.
  // 3. for i, h, w, c: take the (f, f) window of example i, channel c, at (h * stride, w * stride),
  //    and store its max (mode 'max') or its mean (mode 'average') in A[i, h, w, c].
  // ### END CODE HERE ###
  const cache: PoolCache = [APrev, hparameters];
  return [A!, cache];
}

/**
 * Backward pass of a convolution layer (optional).
 * dZ (m, n_H, n_W, n_C) and the cache of convForward. Returns [dA_prev, dW, db] with the shapes
 * of APrev, W and b.
 */
export function convBackward(dZ: tf.Tensor4D, cache: ConvCache): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] {
  let dAPrev: tf.Tensor4D | null = null;
  let dW: tf.Tensor4D | null = null;
  let db: tf.Tensor4D | null = null;
  // ### START CODE HERE ###
  // 1. Unpack the cache; read the dimensions and stride, pad.
  // 2. Start dA_prev, dW, db at zero (tf.buffer), and pad APrev and dA_prev.
  // 3. for i, h, w, c, with the window's corners as in convForward:
  //      da_prev_pad[window] += W[:, :, :, c] * dZ[i, h, w, c]
  //      dW[:, :, :, c]     += a_slice * dZ[i, h, w, c]
  //      db[:, :, :, c]     += dZ[i, h, w, c]
  // 4. dA_prev[i] = da_prev_pad without its padding (take care that pad may be 0).
  // ### END CODE HERE ###
  return [dAPrev!, dW!, db!];
}

/** Returns a bool mask of x's shape that is true where x holds its maximum (optional). */
export function createMaskFromWindow(x: tf.Tensor2D): tf.Tensor2D {
  let mask: tf.Tensor2D | null = null;
  // ### START CODE HERE ### (≈ 1 line)
  // ### END CODE HERE ###
  return mask!;
}

/** Spreads dz evenly over a matrix of the given shape (n_H, n_W) (optional). */
export function distributeValue(dz: number, shape: [number, number]): tf.Tensor2D {
  let a: tf.Tensor2D | null = null;
  // ### START CODE HERE ###
  // 1. Read n_H, n_W from shape.
  // 2. Compute the value each entry gets.
  // 3. Make the (n_H, n_W) matrix filled with it (tf.fill).
  // ### END CODE HERE ###
  return a!;
}

/**
 * Backward pass of a pooling layer (optional).
 * dA has the shape of poolForward's output; the cache is poolForward's. Returns dA_prev with the
 * shape of APrev.
 */
export function poolBackward(dA: tf.Tensor4D, cache: PoolCache, mode: PoolMode = 'max'): tf.Tensor4D {
  let dAPrev: tf.Tensor4D | null = null;
  // ### START CODE HERE ###
  // 1. Unpack the cache; read f, stride and the dimensions of APrev and dA.
  // 2. Start dA_prev at zero (tf.buffer with APrev's shape).
  // 3. for i (every example!), h, w, c, with the window's corners at (h * stride, w * stride):
  //      max:     mask = createMaskFromWindow(window of example i, channel c);
  //               dA_prev[i, window, c] += mask * dA[i, h, w, c]
  //      average: dA_prev[i, window, c] += distributeValue(dA[i, h, w, c], [f, f])
  // ### END CODE HERE ###
  return dAPrev!;
}
