/**
 * Which layers fuseRelus marks, and what useFusedRelus changes in tfjs-layers and puts back. The
 * fused kernels themselves run on WebGPU only (test/backends/webgpu.test.ts); on cpu a marked layer
 * computes as tfjs's.
 */
import * as tf from '@tensorflow/tfjs';
import { activateBackend } from '../../../src/backends/choice.js';
import { fuseRelus, reluFollows, useFusedRelus } from '../../../src/accel/training/fused-relu.js';

/** An addition and a batch normalization each feeding a ReLU alone, and others that do not. */
function build() {
  const input = tf.input({ shape: [4, 4, 3] });
  const relu = () => tf.layers.activation({ activation: 'relu' });
  const conv = tf.layers.conv2d({ filters: 3, kernelSize: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) });
  const norm = tf.layers.batchNormalization();
  const normed = relu().apply(norm.apply(conv.apply(input))) as tf.SymbolicTensor;
  const add = tf.layers.add();
  const added = relu().apply(add.apply([normed, input])) as tf.SymbolicTensor;
  const sharedAdd = tf.layers.add(); // feeds a ReLU and a later addition
  const shared = sharedAdd.apply([added, input]) as tf.SymbolicTensor;
  const lastAdd = tf.layers.add(); // feeds a ReLU, but is also a model output
  const last = lastAdd.apply([relu().apply(shared) as tf.SymbolicTensor, shared]) as tf.SymbolicTensor;
  const outputAdd = tf.layers.add();
  const output = relu().apply(outputAdd.apply([last, input])) as tf.SymbolicTensor;
  const otherRelu = tf.layers.reLU(); // a ReLU layer, not an activation layer
  const leakyNorm = tf.layers.batchNormalization();
  const other = otherRelu.apply(leakyNorm.apply(input)) as tf.SymbolicTensor;
  return { model: tf.model({ inputs: input, outputs: [output, last, other] }), fused: [norm, add, outputAdd], unfused: [sharedAdd, lastAdd, leakyNorm] };
}

describe('fused ReLUs', () => {
  test('fuseRelus marks the batch normalizations and additions that feed one ReLU activation layer and nothing else, not model outputs, until restored', () => {
    const { model, fused, unfused } = build();
    const restore = fuseRelus(model);
    try {
      expect(fused.map(reluFollows)).toEqual([true, true, true]);
      expect(unfused.map(reluFollows)).toEqual([false, false, false]);
    } finally {
      restore();
    }
    expect(fused.map(reluFollows)).toEqual([false, false, false]);
  });

  test('useFusedRelus changes the addition and activation layers and puts them back; a nested install leaves it be; without the kernel (cpu) a marked model computes and trains as tfjs\'s', async () => {
    await activateBackend(tf, 'cpu', 'train');
    const addPrototype = Object.getPrototypeOf(tf.layers.add()) as { call: unknown };
    const activationPrototype = Object.getPrototypeOf(tf.layers.activation({ activation: 'relu' })) as { call: unknown };
    const [addCall, activationCall] = [addPrototype.call, activationPrototype.call];
    expect(Object.hasOwn(addPrototype, 'call')).toBe(false); // Add inherits Merge's
    const x = tf.tensor4d(Array.from({ length: 2 * 4 * 4 * 3 }, (_, i) => Math.sin(i * 1.7) * 2), [2, 4, 4, 3]);
    const trainedWeights = async (fusing: boolean) => {
      const { model } = build();
      model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
      const restore = fusing ? [useFusedRelus(tf), fuseRelus(model)] : [];
      try {
        if (fusing) {
          expect(addPrototype.call).not.toBe(addCall);
          expect(activationPrototype.call).not.toBe(activationCall);
          const installed = addPrototype.call;
          useFusedRelus(tf)();
          expect(addPrototype.call).toBe(installed);
        }
        await model.fit(x, [tf.ones([2, 4, 4, 3]), tf.zeros([2, 4, 4, 3]), tf.ones([2, 4, 4, 3])], { epochs: 2, batchSize: 2, verbose: 0 });
        return model.getWeights().map((w) => Array.from(w.dataSync()));
      } finally {
        restore.reverse().forEach((undo) => undo());
      }
    };
    expect(await trainedWeights(true)).toEqual(await trainedWeights(false));
    expect(addPrototype.call).toBe(addCall);
    expect(Object.hasOwn(addPrototype, 'call')).toBe(false);
    expect(activationPrototype.call).toBe(activationCall);
  });
});
