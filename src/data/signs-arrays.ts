/**
 * SIGNS as arrays and tensors, apart from the file readers (signs.ts): what a sandboxed process
 * needs (it reads no files, and loads neither jsfive nor jpeg-js for this), and the course's
 * helpers' arithmetic.
 */
import type * as tfType from '@tensorflow/tfjs';
import { RandomState } from '../rng/random-state.js';

export const SIGNS_SIDE = 64;
export const SIGNS_CHANNELS = 3;
export const SIGNS_CLASSES = 6;

/** Images (uint8 NHWC) and their integer labels. */
export interface LabelledImages {
  x: Uint8Array;
  y: Int32Array;
  m: number;
}

/** The course's convert_to_one_hot(Y, C).T: one row of C per label. */
export function convertToOneHot(labels: ArrayLike<number>, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) out[i * classes + labels[i]] = 1;
  return out;
}

/**
 * The example indices of the course's random_mini_batches(X, Y, size, seed): np.random.seed(seed),
 * a permutation of the m examples, complete batches of `size`, then the smaller rest.
 */
export function miniBatchIndices(m: number, size: number, seed: number): number[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`mini-batch size must be a positive integer, got ${size}`);
  const order = new RandomState(seed).permutation(m);
  const batches: number[][] = [];
  for (let start = 0; start < m; start += size) batches.push(order.slice(start, start + size));
  return batches;
}

/** Images scaled to [0, 1], float32 NHWC. */
export function scaledImages(set: LabelledImages): Float32Array {
  const scaled = new Float32Array(set.x.length);
  for (let i = 0; i < scaled.length; i++) scaled[i] = set.x[i] / 255;
  return scaled;
}

/** One-hot labels, class c moved to relabel[c] where given. */
export function oneHotLabels(set: LabelledImages, relabel?: readonly number[]): Float32Array {
  return convertToOneHot(relabel ? set.y.map((c) => relabel[c]) : set.y, SIGNS_CLASSES);
}

/** One set's images and one-hot labels as tensors; the caller owns them. */
export function setTensors(tf: typeof tfType, set: LabelledImages, relabel?: readonly number[]): { x: tfType.Tensor4D; y: tfType.Tensor2D } {
  return {
    x: tf.tensor4d(scaledImages(set), [set.m, SIGNS_SIDE, SIGNS_SIDE, SIGNS_CHANNELS]),
    y: tf.tensor2d(oneHotLabels(set, relabel), [set.m, SIGNS_CLASSES]),
  };
}
