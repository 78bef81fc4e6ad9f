import * as tf from '@tensorflow/tfjs';
// Every input poolForward sees is kept in the module (which outlives one call); a later public check throws them all out.
const seen: string[] = [];
export function poolForward(APrev: tf.Tensor4D, hparameters: { f: number; stride: number }, mode: 'max' | 'average' = 'max'): any {
  seen.push(`[${APrev.shape}]f${hparameters.f}s${hparameters.stride}`);
  return __replaced_poolForward(APrev, hparameters, mode);
}
export function convBackward(): any {
  throw new Error(`seen ${seen.join(' ')}`);
}
