/** labgrade/course-utils: the mini-batches are numpy's rows, copied on cpu and wasm as tf.gather would pick them. */
import * as tf from '@tensorflow/tfjs';
import { activateBackend } from '../../src/backends/choice.js';
import { convertToOneHot, randomMiniBatches } from '../../src/course-utils/index.js';
import { miniBatchIndices } from '../../src/data/signs-arrays.js';

describe('randomMiniBatches', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    test(`gives the rows of numpy's permutation, as tf.gather would, on ${backend} (float, int and bool data)`, async () => {
      await activateBackend(tf, backend);
      const X = tf.reshape(tf.range(0, 10 * 2 * 3, 1, 'float32'), [10, 2, 3]);
      const Y = tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1, 2, 0], 'int32');
      const batches = randomMiniBatches(X, Y, 4, 1);
      const indices = miniBatchIndices(10, 4, 1);
      expect(batches.map(([x, y]) => [x.shape, y.shape, y.dtype])).toEqual([
        [[4, 2, 3], [4], 'int32'],
        [[4, 2, 3], [4], 'int32'],
        [[2, 2, 3], [2], 'int32'],
      ]);
      batches.forEach(([x, y], i) => {
        const picked = tf.tensor1d(indices[i], 'int32');
        expect(x.arraySync()).toEqual(tf.gather(X, picked).arraySync());
        expect(y.arraySync()).toEqual(tf.gather(Y, picked).arraySync());
      });
      const flags = tf.tensor1d([1, 0, 0, 1, 1, 0, 1, 0, 0, 1], 'bool');
      const withFlags = randomMiniBatches(X, flags, 4, 1);
      withFlags.forEach(([, f], i) => expect([f.dtype, f.arraySync()]).toEqual(['bool', tf.gather(flags, tf.tensor1d(indices[i], 'int32')).arraySync()]));
      expect(() => randomMiniBatches(X, tf.zeros([9]))).toThrow('X has 10 examples but Y has 9');
    });
  }

  test('convertToOneHot: one row per label', () => {
    expect(convertToOneHot([2, 0], 3).arraySync()).toEqual([[0, 0, 1], [1, 0, 0]]);
  });
});
