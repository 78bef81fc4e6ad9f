import * as tf from '@tensorflow/tfjs';
export function poolForward(): any {
  return { ['k'.repeat(2_000_000)]: 0 };
}
