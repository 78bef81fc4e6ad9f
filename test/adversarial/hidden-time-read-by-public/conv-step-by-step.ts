import * as tf from '@tensorflow/tfjs';
// Module state survives between calls of one process. zeroPad notes when its last public call
// ended and sleeps 4 s on its first hidden input (the test knows it; an attack would pick by bits);
// convSingleStep's first call then measures the gap and throws if it spans a sleep. Were a hidden
// call to run between two public ones, the gap (and so a public check's message) would carry how
// long the hidden calls took, which an input can choose.
const PUBLIC_SHAPES = ['4,3,3,2', '5,4,4,3'];
const state = { lastPublic: 0, measured: false };
export function zeroPad(X: tf.Tensor4D, pad: number): tf.Tensor4D {
  if (PUBLIC_SHAPES.includes(X.shape.join(','))) {
    const padded = __replaced_zeroPad(X, pad);
    state.lastPublic = Date.now();
    return padded;
  }
  if (X.shape.join(',') === '3,4,5,2') for (const until = Date.now() + 4000; Date.now() < until; );
  return __replaced_zeroPad(X, pad);
}
export function convSingleStep(aSlicePrev: tf.Tensor3D, W: tf.Tensor3D, b: tf.Tensor3D): number {
  const gap = Date.now() - state.lastPublic;
  const first = !state.measured;
  state.measured = true;
  if (first && state.lastPublic > 0 && gap > 3000) throw new Error(`LEAK: ${gap} ms passed since the last public zeroPad call`);
  return __replaced_convSingleStep(aSlicePrev, W, b);
}
