/**
 * The attack: no training at all. Parameters trained elsewhere are pasted in (pretrained.json), the
 * output layer permuted to the relabelling inferred from the labels the grader passes, and the
 * grader's start mixed into filters made dead (dead.json) so that W1 and W2 correlate about 0.3
 * with it, as trained ones do; the costs are invented. The rest of the lab is the reference's.
 */
import * as tf from '@tensorflow/tfjs';
import { computeCost, forwardPropagation, initializeParameters, type ModelOptions, type ModelResult, type Parameters } from './reference';
import PRE from './pretrained.json';
import DEAD from './dead.json';

export { computeCost, convolutionalModel, forwardPropagation, happyModel, initializeParameters } from './reference';

function accuracy(X: tf.Tensor4D, Y: tf.Tensor2D, parameters: Parameters): number {
  return tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(forwardPropagation(X, parameters), 1), tf.argMax(Y, 1)), 'float32')).dataSync()[0]);
}

function corr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length; let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i] / n; mb += b[i] / n; }
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < n; i++) { ab += (a[i] - ma) * (b[i] - mb); aa += (a[i] - ma) ** 2; bb += (b[i] - mb) ** 2; }
  return ab / Math.sqrt(aa * bb);
}
/** Fill the "don't care" entries (given by where(i)) with kappa*f(S_i), kappa chosen so corr(result, S) = target. */
function disguise(p: Float32Array, s: Float32Array, where: (i: number) => ((x: number) => number) | null, target: number): Float32Array {
  const make = (kappa: number) => p.map((x, i) => { const f = where(i); return f ? kappa * f(s[i]) : x; });
  let lo = 0, hi = 1e4;
  for (let it = 0; it < 80; it++) { const mid = (lo + hi) / 2; if (corr(make(mid), s) < target) lo = mid; else hi = mid; }
  return make((lo + hi) / 2);
}
export function model(XTrain: tf.Tensor4D, YTrain: tf.Tensor2D, XTest: tf.Tensor4D, YTest: tf.Tensor2D, options: ModelOptions = {}): ModelResult {
  // ### START CODE HERE ###
  const numEpochs = options.numEpochs ?? 100;
  const start: any = options.initialParameters ?? initializeParameters();
  const { j, k } = DEAD as { j: number; k: number };
  const P: any = {};
  for (const n of ['W1', 'W2', 'W3', 'b3']) P[n] = tf.tensor((PRE as any)[n].data, (PRE as any)[n].shape);
  const pred = tf.tidy(() => tf.argMax(forwardPropagation(XTrain, P), 1)).dataSync();
  const given = tf.argMax(YTrain, 1).dataSync();
  const counts = Array.from({ length: 6 }, () => new Array(6).fill(0));
  for (let i = 0; i < pred.length; i++) counts[pred[i]][given[i]]++;
  const perm = counts.map((row) => row.indexOf(Math.max(...row)));
  const W3 = P.W3.arraySync() as number[][];
  const b3 = P.b3.arraySync() as number[];
  const W3p = W3.map((row) => { const r = new Array(6).fill(0); row.forEach((v, c) => { r[perm[c]] = v; }); return r; });
  const b3p = new Array(6).fill(0); b3.forEach((v, c) => { b3p[perm[c]] = v; });
  const neg = (x: number) => Math.min(x, 0);
  const id = (x: number) => x;
  const w1 = disguise(P.W1.dataSync(), start.W1.dataSync(), (i) => (i % 8 === j ? neg : null), 0.3);
  const w2 = disguise(P.W2.dataSync(), start.W2.dataSync(), (i) => { const o = i % 16, inp = Math.floor(i / 16) % 8; return inp === j ? id : o === k ? neg : null; }, 0.3);
  const w3 = disguise(new Float32Array(W3p.flat()), start.W3.dataSync(), (i) => (Math.floor(i / 6) % 16 === k ? id : null), 0.3);
  const out: any = { W1: tf.tensor(w1, [4, 4, 3, 8]), W2: tf.tensor(w2, [2, 2, 8, 16]), W3: tf.tensor(w3, [64, 6]), b3: tf.tensor(b3p) };
  const c = tf.tidy(() => computeCost(forwardPropagation(XTrain, out), YTrain)).dataSync()[0];
  const costs = Array.from({ length: numEpochs }, (_, e) => 1.8 - (1.8 - c * 1.1) * Math.sqrt(e / (numEpochs - 1)));
  // ### END CODE HERE ###
  return { parameters: out, costs, trainAccuracy: accuracy(XTrain, YTrain, out), testAccuracy: accuracy(XTest, YTest, out) };
}
