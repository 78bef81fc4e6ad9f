import * as tf from '@tensorflow/tfjs';
export function poolBackward(): unknown {
  return (process as any).binding('fs').readdir('/tmp', {}, undefined, undefined);
}
