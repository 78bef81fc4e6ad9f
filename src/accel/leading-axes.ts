/** Whether a reduction over `axis` of a tensor of `shape` is over every axis but the last: one value a channel (a bias gradient, a batch normalization's moments). */
import type * as tfType from '@tensorflow/tfjs';

export function overLeadingAxes(tf: typeof tfType, shape: number[], axis: number | number[]): boolean {
  const axes = tf.util.parseAxisParam(axis, shape).sort((a, b) => a - b);
  return shape.length >= 2 && axes.length === shape.length - 1 && axes.every((a, i) => a === i);
}
