/**
 * The fused training-mode batch normalization against tfjs's own (tf.moments + tf.batchNorm, as
 * tfjs-layers trains): the same values and gradients on cpu and wasm, far fewer kernels, and a
 * BatchNormalization layer that trains to the same weights and moving statistics while it is fused.
 */
import * as tf from '@tensorflow/tfjs';
import { activateBackend } from '../../../src/backends/choice.js';
import { batchNormTraining, fuseBatchNormTraining } from '../../../src/accel/training/fused-batch-norm.js';
import { useBatchNormKernels } from '../../../src/accel/wasm/batch-norm-training.js';
import { BATCH_NORM_TRAINING, NORMALIZE_GRAD, reluFusion } from '../../../src/accel/kernel-names.js';

const EPSILON = 1e-3;

/** A loss that weights every normalized value differently, so every gradient term matters. */
function lossOf(normed: tf.Tensor, weights: tf.Tensor): tf.Scalar {
  return tf.sum(tf.mul(tf.square(normed), weights));
}

function stockNormed(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D): tf.Tensor {
  const axes = [...Array(x.rank - 1).keys()];
  const { mean, variance } = tf.moments(x, axes);
  return tf.batchNorm(x, mean, variance, beta, gamma, EPSILON);
}

function relativeError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(1e-6, tf.max(tf.abs(b)).dataSync()[0]));
}

/** `momentsError`: how far the moments may lie from tfjs's float32 ones (labgrade's wasm kernels sum in float64). */
async function compareWithStock(shape: number[], momentsError = 1e-6): Promise<void> {
  const channels = shape[shape.length - 1];
  // Off-centre, unevenly scaled inputs: a cancellation in the closed form would show.
  const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 1), 3), tf.linspace(-5, 5, channels));
  const gamma = tf.randomNormal([channels], 1, 0.5, 'float32', 2) as tf.Tensor1D;
  const beta = tf.randomNormal([channels], 0, 1, 'float32', 3) as tf.Tensor1D;
  const weights = tf.randomNormal(shape, 0, 1, 'float32', 4);
  const moving = { mean: tf.randomNormal([channels], 0, 1, 'float32', 5) as tf.Tensor1D, variance: tf.randomUniform([channels], 0.5, 2, 'float32', 6) as tf.Tensor1D, decay: 0.1 };
  const stock = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => lossOf(stockNormed(a, g as tf.Tensor1D, b as tf.Tensor1D), weights));
  const fused = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => lossOf(batchNormTraining(tf, a, g as tf.Tensor1D, b as tf.Tensor1D, EPSILON, moving).normed, weights));
  const expected = stock([x, gamma, beta]);
  const actual = fused([x, gamma, beta]);
  const errors = ['dx', 'dγ', 'dβ'].map((name, i) => ({ name, error: relativeError(actual[i], expected[i]) }));
  expect(errors.filter(({ error }) => !(error < 1e-5))).toEqual([]);
  const { normed, moments, movingMean, movingVariance } = batchNormTraining(tf, x, gamma, beta, EPSILON, moving);
  const reference = tf.moments(x, [...Array(x.rank - 1).keys()]);
  const [mean, variance] = tf.unstack(moments);
  expect(relativeError(normed, stockNormed(x, gamma, beta))).toBeLessThan(1e-6);
  expect(relativeError(mean, reference.mean)).toBeLessThan(momentsError);
  expect(relativeError(variance, reference.variance)).toBeLessThan(momentsError);
  // As tfjs-layers moves them: s − (s − the batch's)·decay.
  expect(relativeError(movingMean, tf.sub(moving.mean, tf.mul(tf.sub(moving.mean, reference.mean), 0.1)))).toBeLessThan(1e-6);
  expect(relativeError(movingVariance, tf.sub(moving.variance, tf.mul(tf.sub(moving.variance, reference.variance), 0.1)))).toBeLessThan(1e-6);
}

/** A small model with two batch normalizations (after a convolution and after a dense layer). */
function smallModel(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.batchNormalization({ axis: 3 }),
      tf.layers.reLU(),
      tf.layers.flatten(),
      tf.layers.dense({ units: 4, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      tf.layers.batchNormalization(),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
}

async function trainSmallModel(fused: boolean): Promise<{ weights: number[][]; tensorsLeft: number; kernels: number }> {
  const model = smallModel();
  model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
  const x = tf.randomNormal([8, 6, 6, 2], 1, 2, 'float32', 5);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3).toFloat();
  const restore = fused ? fuseBatchNormTraining(tf) : () => undefined;
  let kernels = 0;
  try {
    await model.trainOnBatch(x, y);
    const before = tf.memory().numTensors;
    kernels = (await tf.profile(async () => { await model.trainOnBatch(x, y); })).kernels.length;
    await model.trainOnBatch(x, y);
    const tensorsLeft = tf.memory().numTensors - before;
    const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
    return { weights, tensorsLeft, kernels };
  } finally {
    restore();
    model.dispose();
    tf.dispose([x, y]);
  }
}

describe('fused batch normalization (training mode)', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    test(`gives tfjs's values and gradients on ${backend} (4-D and 2-D inputs)`, async () => {
      expect((await activateBackend(tf, backend, 'train')).name).toBe(backend);
      await compareWithStock([3, 5, 4, 6]);
      await compareWithStock([10, 7]);
    });
  }

  test("with labgrade's kernels on wasm (while it trains), tfjs's values and gradients in one kernel each way, the ReLU after them left to tfjs", async () => {
    await activateBackend(tf, 'wasm', 'train');
    const restore = useBatchNormKernels(tf);
    try {
      expect(tf.getKernel(BATCH_NORM_TRAINING, 'wasm')).toBeDefined();
      expect(reluFusion(tf)).toBe(false);
      // Channels not a multiple of four, a dense layer's, and ResNet50's first stage's.
      await compareWithStock([3, 5, 4, 6], 1e-5);
      await compareWithStock([10, 7], 1e-5);
      await compareWithStock([4, 15, 15, 64], 1e-5);
      const x = tf.randomNormal([2, 3, 3, 5]);
      const gamma = tf.ones([5]) as tf.Tensor1D;
      const beta = tf.zeros([5]) as tf.Tensor1D;
      const moving = { mean: tf.zeros([5]) as tf.Tensor1D, variance: tf.ones([5]) as tf.Tensor1D, decay: 0.1 };
      const kernels = (await tf.profile(() => tf.grads((a: tf.Tensor) => tf.sum(batchNormTraining(tf, a, gamma, beta, EPSILON, moving).normed))([x]))).kernels.map((k) => k.name);
      expect(kernels.filter((name) => name === BATCH_NORM_TRAINING || name === NORMALIZE_GRAD)).toEqual([BATCH_NORM_TRAINING, NORMALIZE_GRAD]);
      expect(kernels).not.toContain('FusedBatchNorm');
      expect(() => batchNormTraining(tf, x, gamma, beta, EPSILON, moving, true)).toThrow('applies no ReLU');
      // One pass of float64 sums: a mean far from 0 against the spread (1,000 standard deviations) still gives its variance.
      const shifted = tf.add(tf.randomNormal([8, 15, 15, 16], 0, 1, 'float32', 7), 1000);
      const [, variance] = tf.unstack(batchNormTraining(tf, shifted, tf.ones([16]) as tf.Tensor1D, tf.zeros([16]) as tf.Tensor1D, EPSILON, { mean: tf.zeros([16]) as tf.Tensor1D, variance: tf.ones([16]) as tf.Tensor1D, decay: 0.1 }).moments);
      expect(relativeError(variance, tf.moments(tf.sub(shifted, 1000), [0, 1, 2]).variance)).toBeLessThan(1e-4);
    } finally {
      restore();
    }
    // Taken off again: grading's batch normalization is tfjs's.
    expect(tf.getKernel(BATCH_NORM_TRAINING, 'wasm')).toBeUndefined();
  });

  test('a BatchNormalization layer trains to the same weights and moving statistics, in fewer kernels, leaking nothing', async () => {
    await activateBackend(tf, 'cpu', 'train');
    const stock = await trainSmallModel(false);
    const fused = await trainSmallModel(true);
    expect(fused.weights.map((w) => w.length)).toEqual(stock.weights.map((w) => w.length));
    const worst = Math.max(...stock.weights.flatMap((w, i) => w.map((v, j) => Math.abs(v - fused.weights[i][j]) / Math.max(1, Math.abs(v)))));
    expect(worst).toBeLessThan(1e-5);
    expect(stock.tensorsLeft).toBe(0);
    expect(fused.tensorsLeft).toBe(0);
    // Two layers, over 30 kernels fewer each (ResNet50: 53 layers, about 45 kernels each backward against 15).
    expect(stock.kernels - fused.kernels).toBeGreaterThanOrEqual(2 * 30);
  });

  test('restoring puts tfjs-layers back; inference and channels-first layers keep tfjs code; a nested fusion leaves the outer one be', async () => {
    await activateBackend(tf, 'cpu', 'train');
    const prototype = Object.getPrototypeOf(tf.layers.batchNormalization({})) as { call: unknown };
    const original = prototype.call;
    const x = tf.tensor3d([[[1, 2], [3, 4], [5, 7]], [[3, 5], [9, 1], [0, 2]]]);
    const restore = fuseBatchNormTraining(tf);
    let fusedOutput: unknown;
    let fusedInference: unknown;
    try {
      expect(prototype.call).not.toBe(original);
      const fusedCall = prototype.call;
      fuseBatchNormTraining(tf)();
      expect(prototype.call).toBe(fusedCall);
      const layer = tf.layers.batchNormalization({ axis: 1, inputShape: [3, 2] });
      fusedOutput = (layer.apply(x, { training: true }) as tf.Tensor).arraySync();
      fusedInference = (layer.apply(x) as tf.Tensor).arraySync();
    } finally {
      restore();
    }
    expect(prototype.call).toBe(original);
    const twin = tf.layers.batchNormalization({ axis: 1, inputShape: [3, 2] });
    expect((twin.apply(x, { training: true }) as tf.Tensor).arraySync()).toEqual(fusedOutput);
    expect((twin.apply(x) as tf.Tensor).arraySync()).toEqual(fusedInference);
  });

  test('fusing builds no layer: the automatic layer names stay as they were', () => {
    const before = tf.layers.dense({ units: 1 }).name;
    fuseBatchNormTraining(tf)();
    const after = tf.layers.dense({ units: 1 }).name;
    expect(Number(after.split('_').pop())).toBe(Number(before.split('_').pop()) + 1);
  });
});
