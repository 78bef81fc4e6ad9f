import * as tf from '@tensorflow/tfjs';
export function poolBackward(): unknown {
  let v: unknown = 0;
  for (let i = 0; i < 100_000; i++) v = [v];
  return v;
}
