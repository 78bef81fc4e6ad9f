/**
 * Tape saves by reference (keepTapeSavesByReference): the same gradients bit for bit as tfjs's
 * copies, no Identity kernels, no tensor or memory left behind, on cpu and wasm; and tfjs's own
 * engine back after restoring.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from '@jest/globals';
import { activateBackend } from '../../../src/backends/choice.js';
import { keepTapeSavesByReference } from '../../../src/accel/training/tape-saves.js';
import { batchNormTraining } from '../../../src/accel/training/fused-batch-norm.js';

/** A convolution, the fused batch normalization (a customGrad, which saves through the same path), a ReLU and a max-pool. */
async function gradients(): Promise<{ values: Float32Array[]; kernels: string[] }> {
  const x = tf.tensor4d(Array.from({ length: 2 * 8 * 8 * 3 }, (_, i) => Math.sin(i * 0.7)), [2, 8, 8, 3]);
  const variableOf = <R extends tf.Rank>(initial: tf.Tensor<R>): tf.Variable<R> => {
    const v = tf.variable(initial);
    initial.dispose();
    return v;
  };
  const filter = variableOf(tf.tensor4d(Array.from({ length: 3 * 3 * 3 * 4 }, (_, i) => Math.cos(i) / 5), [3, 3, 3, 4]));
  const gamma = variableOf(tf.tensor1d([1, 0.5, 2, 1.5]));
  const beta = variableOf(tf.tensor1d([0, 0.1, -0.2, 0.3]));
  const values: Float32Array[] = [];
  const profile = await tf.profile(() => {
    const { grads, value } = tf.variableGrads(() => {
      const { normed, moments } = batchNormTraining(tf, tf.conv2d(x, filter, 1, 'same'), gamma, beta, 1e-3, { mean: tf.zerosLike(gamma), variance: tf.onesLike(gamma), decay: 0.1 });
      moments.dispose();
      return tf.sum(tf.square(tf.maxPool(tf.relu(normed) as tf.Tensor4D, 2, 2, 'valid')));
    });
    for (const v of [filter, gamma, beta]) values.push(grads[v.name].dataSync() as Float32Array);
    tf.dispose([value, ...Object.values(grads)]);
  });
  tf.dispose([x, filter, gamma, beta]);
  return { values, kernels: profile.kernels.map((k) => k.name) };
}

describe('tape saves by reference', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    test(`on ${backend}: the same gradients bit for bit, no Identity kernels, nothing left behind`, async () => {
      await activateBackend(tf, backend);
      const stock = await gradients();
      const before = tf.memory();
      const restore = keepTapeSavesByReference(tf);
      let byReference: { values: Float32Array[]; kernels: string[] };
      try {
        byReference = await gradients();
      } finally {
        restore();
      }
      const after = tf.memory();
      expect(byReference.values.map((v) => Buffer.from(v.buffer).toString('base64'))).toEqual(stock.values.map((v) => Buffer.from(v.buffer).toString('base64')));
      expect(stock.kernels.filter((k) => k === 'Identity').length).toBeGreaterThan(5);
      expect(byReference.kernels.filter((k) => k === 'Identity')).toEqual([]);
      expect(byReference.kernels.length).toBe(stock.kernels.length - stock.kernels.filter((k) => k === 'Identity').length);
      expect({ tensors: after.numTensors, buffers: after.numDataBuffers, bytes: after.numBytes }).toEqual({ tensors: before.numTensors, buffers: before.numDataBuffers, bytes: before.numBytes });
    });
  }

  test("restoring gives tfjs's clone back, and a second call inside the first changes nothing", () => {
    const engine = tf.engine() as unknown as { clone: unknown };
    const stock = engine.clone;
    const restoreOuter = keepTapeSavesByReference(tf);
    const patched = engine.clone;
    expect(patched).not.toBe(stock);
    const restoreInner = keepTapeSavesByReference(tf);
    restoreInner();
    expect(engine.clone).toBe(patched);
    restoreOuter();
    expect(engine.clone).toBe(stock);
    expect(Object.prototype.hasOwnProperty.call(engine, 'clone')).toBe(false);
  });
});
