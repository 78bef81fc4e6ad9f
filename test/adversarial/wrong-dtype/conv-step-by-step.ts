import * as tf from '@tensorflow/tfjs';
export function poolBackward(dA: tf.Tensor4D, cache: [tf.Tensor4D]): tf.Tensor {
  return tf.zeros(cache[0].shape, 'int32');
}
