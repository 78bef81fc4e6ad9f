import * as tf from '@tensorflow/tfjs';
export function convBackward(): any {
  const e = new Error('m'.repeat(10_000_000));
  e.name = 'N'.repeat(1_000_000);
  throw e;
}
