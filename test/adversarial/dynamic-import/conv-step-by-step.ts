import * as tf from '@tensorflow/tfjs';
export function poolForward(): any {
  const name = ['node', 'fs'].join(':');
  const loading = import(name);
  loading.catch(() => undefined);
  return loading;
}
