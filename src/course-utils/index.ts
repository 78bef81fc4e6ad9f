/**
 * The course's helper functions (cnn_utils.py / resnets_utils.py) for lab files to import as
 * `labgrade/course-utils`. A submission's process serves this module itself, so every submission
 * gets the same mini-batches for the same seed, exactly as numpy would make them.
 */
import type * as tfType from '@tensorflow/tfjs';
import { tf } from '../tfjs.js';
import { convertToOneHot as oneHotRows, miniBatchIndices } from '../data/signs-arrays.js';
import { shuffleSeed } from './recipe-shuffles.js';

/**
 * random_mini_batches(X, Y, size, seed): shuffles the examples with numpy's permutation for
 * `seed`, then cuts complete batches of `size` and a smaller last one. Returns [X, Y] pairs. While
 * a graded training runs, the recipe's seeds are used in order (recipe-shuffles.ts).
 */
export function randomMiniBatches(X: tfType.Tensor, Y: tfType.Tensor, miniBatchSize = 64, seed = 0): [tfType.Tensor, tfType.Tensor][] {
  if (X.shape[0] !== Y.shape[0]) throw new Error(`randomMiniBatches: X has ${X.shape[0]} examples but Y has ${Y.shape[0]}`);
  const pickX = rowPicker(X);
  const pickY = rowPicker(Y);
  return miniBatchIndices(X.shape[0], miniBatchSize, shuffleSeed(seed)).map((indices) => [pickX(indices), pickY(indices)]);
}

/**
 * Picks rows of `t` by index. On cpu and wasm the rows are copied from one read of the values:
 * their gather kernels took 0.45 s a Lab 2 epoch (SIGNS' 1080 images into 17 batches), the copy
 * milliseconds. Elsewhere (WebGPU cannot read synchronously) tf.gather does it.
 */
function rowPicker(t: tfType.Tensor): (indices: number[]) => tfType.Tensor {
  if (!['cpu', 'wasm'].includes(tf.getBackend()) || t.dtype === 'string' || t.dtype === 'complex64') {
    return (indices) => tf.tidy(() => tf.gather(t, tf.tensor1d(indices, 'int32')));
  }
  const values = t.dataSync() as Float32Array | Int32Array | Uint8Array;
  const rowSize = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return (indices) => {
    const rows = new (values.constructor as Float32ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor)(indices.length * rowSize);
    indices.forEach((row, i) => rows.set(values.subarray(row * rowSize, (row + 1) * rowSize), i * rowSize));
    return tf.tensor(rows, [indices.length, ...t.shape.slice(1)], t.dtype);
  };
}

/** convert_to_one_hot(Y, C).T: an [m, C] float32 tensor with a 1 at each example's label. */
export function convertToOneHot(labels: tfType.Tensor | ArrayLike<number>, classes: number): tfType.Tensor2D {
  const values = labels instanceof tf.Tensor ? labels.dataSync() : labels;
  return tf.tensor2d(oneHotRows(values, classes), [values.length, classes]);
}
