import * as tf from '@tensorflow/tfjs';
export function convBackward(): string {
  return 'x'.repeat(2 ** 29 - 24);
}
