import * as tf from '@tensorflow/tfjs';
export function poolBackward(): number {
  throw { answer: 42 };
}
