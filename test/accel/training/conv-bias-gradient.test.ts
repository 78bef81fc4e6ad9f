/**
 * On wasm and cpu, while labgrade trains, a convolution with a bias (tf.fused.conv2d, as
 * tfjs-layers' Conv2D calls it) gets the same gradients bit for bit as tfjs's fused op, and its
 * input gradient only where the tape asks for it: not for a convolution of the images.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from '@jest/globals';
import { activateBackend } from '../../../src/backends/choice.js';
import { useLabgradeConv2dWithBias } from '../../../src/accel/training/conv-bias-gradient.js';

const values = (size: number, phase: number) => Array.from({ length: size }, (_, i) => Math.sin(i * 0.7 + phase));

/** Gradients of a loss through a strided convolution with a bias, for the filter and bias (and x, where `ofInput`), and the kernels they ran. */
async function gradients(ofInput: boolean): Promise<{ values: number[][]; kernels: string[] }> {
  const x = tf.tensor4d(values(2 * 7 * 7 * 3, 0), [2, 7, 7, 3]);
  const filter = tf.tensor4d(values(3 * 3 * 3 * 4, 1), [3, 3, 3, 4]);
  const bias = tf.tensor1d([0.5, -1, 2, 0.25]);
  const loss = (input: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.fused.conv2d({ x: input as tf.Tensor4D, filter: w as tf.Tensor4D, bias: b, strides: 2, pad: 'same' })));
  let result: number[][] = [];
  const profile = await tf.profile(() => {
    const grads = ofInput ? tf.grads(loss)([x, filter, bias]) : tf.grads((w: tf.Tensor, b: tf.Tensor) => loss(x, w, b))([filter, bias]);
    result = grads.map((g) => Array.from(g.dataSync()));
    tf.dispose(grads);
  });
  tf.dispose([x, filter, bias]);
  return { values: result, kernels: profile.kernels.map((k) => k.name) };
}

describe("a convolution's gradients, each where asked for", () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    test(`${backend}: tfjs's gradients bit for bit; no input gradient where the input is not trained`, async () => {
      await activateBackend(tf, backend);
      const stock = [await gradients(true), await gradients(false)];
      const before = tf.memory().numTensors;
      const restore = useLabgradeConv2dWithBias(tf);
      let labgrade: Awaited<ReturnType<typeof gradients>>[];
      try {
        labgrade = [await gradients(true), await gradients(false)];
      } finally {
        restore();
      }
      expect(labgrade.map((g) => g.values)).toEqual(stock.map((g) => g.values));
      expect(tf.memory().numTensors).toBe(before);
      const inputGradients = (g: { kernels: string[] }) => g.kernels.filter((k) => k === 'Conv2DBackpropInput').length;
      // tfjs's fused op computes the input gradient even where nothing asks for it.
      expect(stock.map(inputGradients)).toEqual([1, 1]);
      expect(labgrade.map(inputGradients)).toEqual([1, 0]);
      expect(labgrade[1].kernels).toContain('LabgradeConv2DBias');
      // Restored: tfjs's op again.
      expect((await gradients(false)).kernels).not.toContain('LabgradeConv2DBias');
    });
  }
});
