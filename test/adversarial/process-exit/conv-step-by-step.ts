import * as tf from '@tensorflow/tfjs';
export function poolBackward(): number {
  process.exit(0);
}
