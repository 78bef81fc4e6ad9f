/**
 * Add and Identity gradients by reference (passGradientsByReference): the same gradients bit for
 * bit as tfjs's, without the Reshape and Cast kernels, nothing left behind; a broadcast Add and a
 * non-float dy keep tfjs's gradient; restoring brings tfjs's back.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from '@jest/globals';
import { passGradientsByReference } from '../../../src/accel/training/pass-through-gradients.js';

/** A shortcut addition as tfjs-layers builds it (a clone, then adds), and a broadcast bias. */
async function gradients(): Promise<{ values: number[][]; kernels: string[] }> {
  const x = tf.tensor2d(Array.from({ length: 12 }, (_, i) => Math.sin(i)), [3, 4]);
  const w = tf.tensor2d(Array.from({ length: 12 }, (_, i) => Math.cos(i)), [3, 4]);
  const bias = tf.tensor1d([0.5, -1, 2, 0.25]);
  let values: number[][] = [];
  const profile = await tf.profile(() => {
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.square(tf.add(tf.add(tf.clone(tf.mul(a, b)), a), c))))([x, w, bias]);
    values = grads.map((g) => Array.from(g.dataSync()));
    tf.dispose(grads);
  });
  tf.dispose([x, w, bias]);
  return { values, kernels: profile.kernels.map((k) => k.name) };
}

const count = (kernels: string[], name: string) => kernels.filter((k) => k === name).length;

describe('Add and Identity gradients by reference', () => {
  test('the same gradients bit for bit, without the Reshape and Cast kernels, nothing left behind', async () => {
    await tf.setBackend('cpu');
    const stock = await gradients();
    const before = tf.memory().numTensors;
    const restore = passGradientsByReference(tf);
    let byReference: Awaited<ReturnType<typeof gradients>>;
    try {
      byReference = await gradients();
    } finally {
      restore();
    }
    expect(byReference.values).toEqual(stock.values);
    expect(tf.memory().numTensors).toBe(before);
    // The clone's Cast and the same-shape Add's two Reshapes go; the broadcast Add keeps its Sum and Reshapes.
    expect(count(stock.kernels, 'Cast') - count(byReference.kernels, 'Cast')).toBe(1);
    expect(count(stock.kernels, 'Reshape') - count(byReference.kernels, 'Reshape')).toBe(2);
    expect(count(byReference.kernels, 'Sum')).toBe(count(stock.kernels, 'Sum'));
  });

  test("an int32 dy keeps tfjs's gradient; restoring puts tfjs's gradients back; a second install changes nothing", async () => {
    await tf.setBackend('cpu');
    const stock = ['Add', 'Identity'].map((name) => tf.getGradient(name));
    const restore = passGradientsByReference(tf);
    try {
      expect(tf.getGradient('Add')).not.toBe(stock[0]);
      const inner = passGradientsByReference(tf);
      inner();
      expect(tf.getGradient('Add')).not.toBe(stock[0]);
      const dy = tf.tensor1d([1, 2], 'int32');
      const dx = (tf.getGradient('Identity')!.gradFunc(dy, [], {}) as { x: () => tf.Tensor }).x();
      expect(dx.dtype).toBe('float32');
      tf.dispose([dy, dx]);
    } finally {
      restore();
    }
    expect(['Add', 'Identity'].map((name) => tf.getGradient(name))).toEqual(stock);
  });
});
