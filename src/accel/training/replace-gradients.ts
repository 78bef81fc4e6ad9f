/**
 * Registers labgrade's gradients for tfjs kernels in place of tfjs's, until the returned function
 * puts tfjs's back. Each maker gets tfjs's gradient, for the cases labgrade's hands back to it.
 * tfjs keeps one gradient per kernel name for all backends and processes; a second call while
 * labgrade's are in (a training inside a training) changes nothing.
 */
import type * as tfType from '@tensorflow/tfjs';

type GradFunc = tfType.GradConfig['gradFunc'];

/** Marks labgrade's gradient functions. */
const LABGRADE = Symbol('labgrade gradient');

export function replaceGradients(tf: typeof tfType, makers: Record<string, (stock: tfType.GradConfig) => GradFunc>): () => void {
  const names = Object.keys(makers);
  const stock = names.map((name) => tf.getGradient(name));
  if (stock.some((config) => !config || (config.gradFunc as { [LABGRADE]?: true })[LABGRADE])) return () => undefined;
  names.forEach((name, i) => {
    const own = stock[i]!;
    tf.registerGradient({ ...own, gradFunc: Object.assign(makers[name](own), { [LABGRADE]: true as const }) });
  });
  return () => {
    for (const config of stock) tf.registerGradient(config!);
  };
}
