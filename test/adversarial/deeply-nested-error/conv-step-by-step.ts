import * as tf from '@tensorflow/tfjs';
export function poolForward(): number {
  let deep: unknown = {};
  for (let i = 0; i < 5000; i++) deep = { deep };
  const error = new Error('x');
  (error as any).message = deep;
  throw error;
}
