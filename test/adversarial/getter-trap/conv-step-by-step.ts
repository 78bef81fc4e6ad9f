import * as tf from '@tensorflow/tfjs';
export function poolForward(): unknown {
  return { get trap(): number { for (;;) { /* spin */ } } };
}
