import * as tf from '@tensorflow/tfjs';
function down(n: number): number {
  return down(n + 1) + 1;
}
export function poolForward(): number {
  return down(0);
}
