import * as tf from '@tensorflow/tfjs';
export function convBackward(): tf.Tensor[] {
  return [tf.zeros([100_000_000]), tf.zeros([1]), tf.zeros([1])];
}
