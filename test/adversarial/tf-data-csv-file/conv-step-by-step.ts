import * as tf from '@tensorflow/tfjs';
export function poolForward(): any {
  return tf.data.csv('file:///etc/passwd');
}
