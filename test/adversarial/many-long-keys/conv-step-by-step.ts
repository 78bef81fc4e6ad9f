import * as tf from '@tensorflow/tfjs';
export function poolForward(): any {
  const level = (depth: number): any => {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < 1000; i++) o[String(i).padStart(100, 'k')] = depth > 0 ? (i < 2 ? level(depth - 1) : 0) : 0;
    return o;
  };
  return level(6);
}
