import * as tf from '@tensorflow/tfjs';
import { helper } from './helper';
export function distributeValue(): any {
  return helper;
}
