import * as tf from '@tensorflow/tfjs';
export function poolForward(): any {
  return tf.io.http('http://127.0.0.1:47913/model.json');
}
