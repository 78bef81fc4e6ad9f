import * as tf from '@tensorflow/tfjs';
import big from './big.json';
export function distributeValue(): any {
  return big;
}
