/**
 * Example submission: every function correct, but written with whole-tensor tfjs ops (tf.conv2d,
 * tf.maxPool, gradients from tf.grads) instead of the course's loops. It must get full marks.
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

export function zeroPad(X: tf.Tensor4D, pad: number): tf.Tensor4D {
  // ### START CODE HERE ###
  return X.pad([[0, 0], [pad, pad], [pad, pad], [0, 0]]);
  // ### END CODE HERE ###
}

export function convSingleStep(aSlicePrev: tf.Tensor3D, W: tf.Tensor3D, b: tf.Tensor3D): number {
  // ### START CODE HERE ###
  return tf.tidy(() => aSlicePrev.mul(W).sum().add(b.sum()).arraySync() as number);
  // ### END CODE HERE ###
}

function convolve(A: tf.Tensor4D, W: tf.Tensor4D, { stride, pad }: ConvHParameters): tf.Tensor4D {
  return tf.conv2d(zeroPad(A, pad), W, stride, 'valid');
}

export function convForward(APrev: tf.Tensor4D, W: tf.Tensor4D, b: tf.Tensor4D, hparameters: ConvHParameters): [tf.Tensor4D, ConvCache] {
  // ### START CODE HERE ###
  const Z = tf.tidy(() => convolve(APrev, W, hparameters).add(b) as tf.Tensor4D);
  // ### END CODE HERE ###
  return [Z, [APrev, W, b, hparameters]];
}

export function poolForward(APrev: tf.Tensor4D, hparameters: PoolHParameters, mode: PoolMode = 'max'): [tf.Tensor4D, PoolCache] {
  // ### START CODE HERE ###
  const { f, stride } = hparameters;
  const A = mode === 'max' ? tf.maxPool(APrev, f, stride, 'valid') : tf.avgPool(APrev, f, stride, 'valid');
  // ### END CODE HERE ###
  return [A, [APrev, hparameters]];
}

export function convBackward(dZ: tf.Tensor4D, cache: ConvCache): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] {
  // ### START CODE HERE ###
  const [APrev, W, , hparameters] = cache;
  const [dAPrev, dW] = tf.grads((A: tf.Tensor, K: tf.Tensor) => convolve(A as tf.Tensor4D, K as tf.Tensor4D, hparameters))([APrev, W], dZ);
  const db = dZ.sum([0, 1, 2]).reshape([1, 1, 1, -1]);
  // ### END CODE HERE ###
  return [dAPrev as tf.Tensor4D, dW as tf.Tensor4D, db as tf.Tensor4D];
}

export function createMaskFromWindow(x: tf.Tensor2D): tf.Tensor2D {
  // ### START CODE HERE ###
  return x.equal(x.max());
  // ### END CODE HERE ###
}

export function distributeValue(dz: number, shape: [number, number]): tf.Tensor2D {
  // ### START CODE HERE ###
  return tf.ones(shape).mul(dz / (shape[0] * shape[1]));
  // ### END CODE HERE ###
}

export function poolBackward(dA: tf.Tensor4D, cache: PoolCache, mode: PoolMode = 'max'): tf.Tensor4D {
  // ### START CODE HERE ###
  const [APrev, { f, stride }] = cache;
  const pool = (x: tf.Tensor) => (mode === 'max' ? tf.maxPool(x as tf.Tensor4D, f, stride, 'valid') : tf.avgPool(x as tf.Tensor4D, f, stride, 'valid'));
  return tf.grad(pool)(APrev, dA) as tf.Tensor4D;
  // ### END CODE HERE ###
}
