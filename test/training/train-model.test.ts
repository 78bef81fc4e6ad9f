/** trainModel's training code: the fused batch normalization while it trains (and never after), and Adam per backend. */
import * as tf from '@tensorflow/tfjs';
import { activateBackend } from '../../src/backends/choice.js';
import { SAMPLE_REPORT_RECIPE, trainModel, type EpochProgress } from '../../src/training/train-model.js';
import { adamForBackend } from '../../src/accel/index.js';

function smallModel(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3 }),
      tf.layers.batchNormalization({ axis: 3 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 6, activation: 'softmax' }),
    ],
  });
}

describe('trainModel', () => {
  const x = tf.randomNormal([8, 6, 6, 2], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 0, 1], 'int32'), 6).toFloat();
  const recipe = { ...SAMPLE_REPORT_RECIPE, epochs: 2, batchSize: 4, validationSplit: 0.25 };
  const batchNormCall = () => (Object.getPrototypeOf(tf.layers.batchNormalization({})) as { call: unknown }).call;

  test('puts tfjs-layers back when training fails', async () => {
    await activateBackend(tf, 'cpu', 'train');
    const original = batchNormCall();
    await expect(
      trainModel(tf, smallModel(), x, y, recipe, () => {
        throw new Error('stopped by the progress callback');
      }),
    ).rejects.toThrow('stopped by the progress callback');
    expect(batchNormCall()).toBe(original);
  });

  test('trains through the fused batch normalization and puts tfjs-layers back afterwards', async () => {
    await activateBackend(tf, 'cpu', 'train');
    const original = batchNormCall();
    const fusedDuringTraining: boolean[] = [];
    const trained = await trainModel(tf, smallModel(), x, y, recipe, () => fusedDuringTraining.push(batchNormCall() !== original));
    expect(fusedDuringTraining.length).toBeGreaterThan(0);
    expect(fusedDuringTraining.every(Boolean)).toBe(true);
    expect(batchNormCall()).toBe(original);
    expect(trained.history.loss).toHaveLength(2);
    expect(trained.history.loss.every(Number.isFinite)).toBe(true);
  });

  test("reports every batch and then its epoch, in order, with the numbers fit computed, and leaves no tensor behind, the optimizer's included", async () => {
    await activateBackend(tf, 'cpu', 'train');
    const before = tf.memory().numTensors;
    const seen: EpochProgress[] = [];
    const model = smallModel();
    const trained = await trainModel(tf, model, x, y, { ...recipe, epochs: 3 }, (p) => seen.push(p));
    model.dispose();
    // 6 training examples in batches of 4: two batches, then the epoch's end (with validation).
    expect(seen.map((p) => `${p.epoch}:${p.batch}/${p.batches}${'val_loss' in p.logs ? ' end' : ''}`)).toEqual(['0:1/2', '0:2/2', '0:2/2 end', '1:1/2', '1:2/2', '1:2/2 end', '2:1/2', '2:2/2', '2:2/2 end']);
    for (const p of seen) expect(Object.values(p.logs).every((v) => typeof v === 'number' && Number.isFinite(v))).toBe(true);
    expect(seen.filter((p) => 'val_loss' in p.logs).map((p) => p.logs.loss)).toEqual(trained.history.loss);
    expect(seen[0].logs).toMatchObject({ batch: 0, size: 4, loss: expect.any(Number), acc: expect.any(Number) });
    expect(tf.memory().numTensors).toBe(before);
  });

  test("adamForBackend keeps tfjs's Adam where dispatches are cheap (cpu, wasm)", async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await activateBackend(tf, backend, 'train');
      const optimizer = adamForBackend(tf, 0.01);
      expect(optimizer).toBeInstanceOf(tf.AdamOptimizer);
      optimizer.dispose();
    }
  });
});
