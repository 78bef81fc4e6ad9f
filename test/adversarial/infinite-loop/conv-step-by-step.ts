import * as tf from '@tensorflow/tfjs';
export function poolForward(): unknown {
  for (;;) {
    // spin
  }
}
