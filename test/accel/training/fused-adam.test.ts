/** The fused Adam update against tfjs's own Adam: the same values step for step, with far fewer kernels. */
import * as tf from '@tensorflow/tfjs';
import { fusedAdam } from '../../../src/accel/training/fused-adam.js';

/** Twenty variables of assorted shapes, a loss over all of them, and `steps` updates; kernels counted in the updates only. */
async function train(optimizer: tf.Optimizer, steps: number, changeRateAt?: number): Promise<{ values: number[][]; updateKernels: number }> {
  const variables = Array.from({ length: 20 }, (_, i) => tf.variable(tf.tensor(Array.from({ length: (i % 4) + 2 }, (_, j) => Math.sin(i * 7 + j)), [(i % 4) + 2])));
  // The first variable's gradients are ~1e-9, where ε (1e-7) decides the step.
  const loss = () => tf.addN(variables.map((v, i) => tf.sum(tf.mul(tf.square(tf.sub(v, i / 10)), i === 0 ? 1e-9 : 1 + (i % 3))))) as tf.Scalar;
  let updateKernels = 0;
  for (let step = 0; step < steps; step++) {
    if (step === changeRateAt) (optimizer as unknown as { learningRate: number }).learningRate /= 10;
    const { value, grads } = tf.variableGrads(loss);
    const profile = await tf.profile(() => optimizer.applyGradients(grads));
    updateKernels += profile.kernels.length;
    tf.dispose([value, ...Object.values(grads)]);
  }
  const values = variables.map((v) => Array.from(v.dataSync()));
  tf.dispose(variables);
  optimizer.dispose();
  return { values, updateKernels };
}

describe('fused Adam', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  test('gives what tf.train.adam gives, bit for bit over 60 steps (β^t kept on the CPU as tfjs keeps it on the device), in a fraction of the kernels', async () => {
    const stock = await train(tf.train.adam(0.05), 60);
    const fused = await train(fusedAdam(tf, { learningRate: 0.05 }), 60);
    expect(fused.values).toEqual(stock.values);
    // Per step: tfjs's Adam runs 14 kernels per variable; the fused one 4, plus a dozen for all.
    expect(stock.updateKernels / 60).toBeGreaterThanOrEqual(20 * 14);
    expect(fused.updateKernels / 60).toBeLessThanOrEqual(20 * 4 + 20);
  });

  test('a learning rate changed between steps (as ReduceLROnPlateau does) is used from the next step', async () => {
    const stock = await train(tf.train.adam(0.1), 4, 2);
    const fused = await train(fusedAdam(tf, { learningRate: 0.1 }), 4, 2);
    expect(fused.values).toEqual(stock.values);
  });
});
