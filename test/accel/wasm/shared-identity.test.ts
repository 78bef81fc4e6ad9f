/**
 * Identity on wasm shares memory (registerSharedIdentityKernel), as on the cpu backend: a clone is
 * a second reference, each reference keeps the values alive, and the memory goes with the last.
 * (The wasm gradient checks in conv-gradients.test.ts run with it registered, through tfjs's tape.)
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from '@jest/globals';
import { activateBackend } from '../../../src/backends/choice.js';

describe('wasm Identity (a shared reference, not a copy)', () => {
  test('a clone holds no memory of its own, outlives its original, and frees it when last disposed', async () => {
    await activateBackend(tf, 'wasm');
    const backend = tf.engine().backend;
    for (const [values, dtype] of [[[1.5, -2, 3], 'float32'], [[7, 8], 'int32'], [['a', 'bc'], 'string']] as const) {
      const idsBefore = backend.numDataIds();
      const x = tf.tensor(values as unknown as number[], undefined, dtype);
      const y = tf.clone(x);
      expect(backend.numDataIds()).toBe(idsBefore + 1);
      x.dispose();
      expect(y.arraySync()).toEqual(values);
      y.dispose();
      expect(backend.numDataIds()).toBe(idsBefore);
    }
  });
});
