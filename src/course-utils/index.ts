/**
 * The course's helper functions (cnn_utils.py / resnets_utils.py) for lab files to import as
 * `labgrade/course-utils`. A submission's process serves this module itself, so every submission
 * gets the same mini-batches for the same seed, exactly as numpy would make them.
 */
import * as tf from '@tensorflow/tfjs';
import { convertToOneHot as oneHotRows, miniBatchIndices } from '../data/signs.js';

/**
 * random_mini_batches(X, Y, size, seed): shuffles the examples with numpy's permutation for
 * `seed`, then cuts complete batches of `size` and a smaller last one. Returns [X, Y] pairs.
 */
export function randomMiniBatches(X: tf.Tensor, Y: tf.Tensor, miniBatchSize = 64, seed = 0): [tf.Tensor, tf.Tensor][] {
  if (X.shape[0] !== Y.shape[0]) throw new Error(`randomMiniBatches: X has ${X.shape[0]} examples but Y has ${Y.shape[0]}`);
  return miniBatchIndices(X.shape[0], miniBatchSize, seed).map((indices) => {
    const picked = tf.tensor1d(indices, 'int32');
    const batch: [tf.Tensor, tf.Tensor] = [tf.gather(X, picked), tf.gather(Y, picked)];
    picked.dispose();
    return batch;
  });
}

/** convert_to_one_hot(Y, C).T: an [m, C] float32 tensor with a 1 at each example's label. */
export function convertToOneHot(labels: tf.Tensor | ArrayLike<number>, classes: number): tf.Tensor2D {
  const values = labels instanceof tf.Tensor ? labels.dataSync() : labels;
  return tf.tensor2d(oneHotRows(values, classes), [values.length, classes]);
}
