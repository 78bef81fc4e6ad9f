import * as tf from '@tensorflow/tfjs';
export function convBackward(): number {
  const hoard: tf.Tensor[] = [];
  for (;;) hoard.push(tf.ones([64, 1024, 1024]));
}
