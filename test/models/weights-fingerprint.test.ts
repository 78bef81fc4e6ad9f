/** A trained model's fingerprint: reordering a block's channels, or scaling a kernel, changes its bytes and positions, not its channel norm profile. */
import { expect, test } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { weightsFingerprint } from '../../src/models/evaluate-model-file.js';
import { channelNormAgreement, SAME_CHANNEL_NORMS } from '../../src/models/weights-sample.js';

function smallCnn(seed: number): tf.LayersModel {
  const init = (offset: number) => tf.initializers.glorotUniform({ seed: seed + offset });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 16, kernelSize: 3, kernelInitializer: init(0), biasInitializer: 'randomNormal' }),
      tf.layers.conv2d({ filters: 12, kernelSize: 3, kernelInitializer: init(1) }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 6, kernelInitializer: init(2) }),
    ],
  });
}

test('channels reordered (the same function) keep every channel norm; another model keeps few', async () => {
  tf.setBackend('cpu');
  const model = smallCnn(1);
  const [k1, b1, k2, b2, k3, b3] = model.getWeights();
  // Reverse conv1's 16 output channels, and conv2's input channels to match: the model computes the same.
  const order = tf.tensor1d(Array.from({ length: 16 }, (_, i) => 15 - i), 'int32');
  const permuted = smallCnn(1);
  permuted.setWeights([tf.gather(k1, order, 3), tf.gather(b1, order), tf.gather(k2, order, 2), b2, k3, b3]);
  const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 7);
  expect(Array.from((permuted.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((model.predict(x) as tf.Tensor).dataSync()).map((v) => expect.closeTo(v, 4)));

  const [a, b, other] = [await weightsFingerprint(model), await weightsFingerprint(permuted), await weightsFingerprint(smallCnn(99))];
  expect(b.weightsSha256).not.toBe(a.weightsSha256);
  expect(a.channelNorms).toHaveLength(16 + 12 + 6);
  expect(channelNormAgreement(a.channelNorms, b.channelNorms)).toBe(1);
  expect(channelNormAgreement(a.channelNorms, other.channelNorms)!).toBeLessThan(SAME_CHANNEL_NORMS);
  // Negating weights keeps the norms too.
  const negated = smallCnn(1);
  negated.setWeights([tf.neg(k1), tf.neg(b1), k2, b2, k3, b3]);
  expect(channelNormAgreement(a.channelNorms, (await weightsFingerprint(negated)).channelNorms)).toBe(1);
  // So does scaling each kernel as a whole (a batch normalization after it undoes that), by any factor and sign.
  const scaled = smallCnn(1);
  scaled.setWeights([tf.mul(k1, -2.7), tf.mul(b1, -2.7), tf.mul(k2, 1.6), b2, tf.mul(k3, 3), b3]);
  expect(channelNormAgreement(a.channelNorms, (await weightsFingerprint(scaled)).channelNorms)).toBe(1);
});
