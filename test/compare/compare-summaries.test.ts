/**
 * Model summaries: the reference models against the course's published comparator rows, and the
 * comparison's messages for the mistakes students make (a missing layer, a wrong pool, an extra
 * layer at the end that the course's zip-based comparator lets through).
 */
import * as tf from '@tensorflow/tfjs';
import { compareSummaries as compareRefs } from '../../src/compare/compare-summaries.js';
import { summarizeModel, type ModelSummary } from '../../src/contract/summary.js';
import { english } from '../../src/i18n/messages.js';

/** The comparison with its differences in English, as a report shows them. */
const compareSummaries = (...args: Parameters<typeof compareRefs>) => {
  const { passed, differences } = compareRefs(...args);
  return { passed, differences: differences.map(english) };
};
import { convolutionalModel, happyModel } from '../../solutions/conv-application.js';

// The 2021 notebook's expected comparator output (course-tests.md, Lab 2), tuples as lists.
const COURSE_CONVOLUTIONAL_MODEL = [
  ['InputLayer', [[null, 64, 64, 3]], 0],
  ['Conv2D', [null, 64, 64, 8], 392, 'same', 'linear', 'GlorotUniform'],
  ['ReLU', [null, 64, 64, 8], 0],
  ['MaxPooling2D', [null, 8, 8, 8], 0, [8, 8], [8, 8], 'same'],
  ['Conv2D', [null, 8, 8, 16], 528, 'same', 'linear', 'GlorotUniform'],
  ['ReLU', [null, 8, 8, 16], 0],
  ['MaxPooling2D', [null, 2, 2, 16], 0, [4, 4], [4, 4], 'same'],
  ['Flatten', [null, 64], 0],
  ['Dense', [null, 6], 390, 'softmax'],
];
const COURSE_HAPPY_MODEL = [
  ['ZeroPadding2D', [null, 70, 70, 3], 0, [[3, 3], [3, 3]]],
  ['Conv2D', [null, 64, 64, 32], 4736, 'valid', 'linear', 'GlorotUniform'],
  ['BatchNormalization', [null, 64, 64, 32], 128],
  ['ReLU', [null, 64, 64, 32], 0],
  ['MaxPooling2D', [null, 32, 32, 32], 0, [2, 2], [2, 2], 'valid'],
  ['Flatten', [null, 32768], 0],
  ['Dense', [null, 1], 32769, 'sigmoid'],
];

/** The convolutional model with one change: a different second pool, or no Flatten, or an extra layer. */
function variant(change: 'pool2' | 'no-flatten' | 'extra-dense'): tf.LayersModel {
  const input = tf.input({ shape: [64, 64, 3] });
  let x = tf.layers.conv2d({ filters: 8, kernelSize: 4, padding: 'same', kernelInitializer: 'glorotUniform' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 8, strides: 8, padding: 'same' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 16, kernelSize: 2, padding: 'same', kernelInitializer: 'glorotUniform' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
  const pool = change === 'pool2' ? 2 : 4;
  x = tf.layers.maxPooling2d({ poolSize: pool, strides: pool, padding: 'same' }).apply(x) as tf.SymbolicTensor;
  if (change !== 'no-flatten') x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 6, activation: 'softmax' }).apply(x) as tf.SymbolicTensor;
  if (change === 'extra-dense') x = tf.layers.dense({ units: 6, activation: 'softmax' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x });
}

describe('model summaries', () => {
  let reference: ModelSummary;
  beforeAll(() => {
    reference = summarizeModel(convolutionalModel([64, 64, 3]));
  });

  test('the reference models give the course\'s published rows and totals', () => {
    expect(reference.rows).toEqual(COURSE_CONVOLUTIONAL_MODEL);
    expect([reference.trainableParams, reference.nonTrainableParams]).toEqual([1310, 0]);
    const happy = summarizeModel(happyModel());
    expect(happy.rows).toEqual(COURSE_HAPPY_MODEL);
    expect([happy.trainableParams + happy.nonTrainableParams, happy.trainableParams, happy.nonTrainableParams]).toEqual([37633, 37569, 64]);
  });

  test('identical summaries pass', () => {
    expect(compareSummaries(reference, summarizeModel(convolutionalModel([64, 64, 3])))).toEqual({ passed: true, differences: [] });
  });

  test('a wrong pool size names the row, the layer and the fields that differ', () => {
    const { passed, differences } = compareSummaries(reference, summarizeModel(variant('pool2')));
    expect(passed).toBe(false);
    expect(differences[0]).toMatch(/^row 7 MaxPooling2D: output shape \[None, 2, 2, 16\] expected, \[None, 4, 4, 16\] found; pool size \[4, 4\] expected, \[2, 2\] found; strides \[4, 4\] expected, \[2, 2\] found$/);
    expect(differences.some((d) => d.startsWith('total params 2,462 (trainable 2,462, non-trainable 0), expected 1,310'))).toBe(true);
  });

  test('a missing Flatten is named once, where it is missing, and the rows after it are compared as rows, not shifted', () => {
    const { differences } = compareSummaries(reference, summarizeModel(variant('no-flatten')));
    expect(differences[0]).toBe("a Flatten layer is missing after row 7 (MaxPooling2D): the course's row 8");
    expect(differences[1]).toBe('the model has 8 layers, expected 9');
    // The Dense row is compared with the course's Dense row, not with its Flatten.
    expect(differences[2]).toMatch(/^row 9 Dense: output shape \[None, 6\] expected, \[None, 2, 2, 6\] found; parameter count 390 expected, 102 found$/);
    expect(differences.some((d) => /expected an? \w+ layer, found/.test(d))).toBe(false);
  });

  test('an extra layer at the end fails (the course\'s zip-based comparator would pass it)', () => {
    const { passed, differences } = compareSummaries(reference, summarizeModel(variant('extra-dense')));
    expect(passed).toBe(false);
    expect(differences[0]).toBe("row 10 of the model, a Dense layer, is not in the course's model");
    expect(differences[1]).toBe('the model has 10 layers, expected 9');
  });

  test('a tf.sequential model of the same layers gets one sentence naming the cause: no InputLayer row', () => {
    const sequential = tf.sequential({
      layers: [
        tf.layers.conv2d({ filters: 8, kernelSize: 4, padding: 'same', kernelInitializer: 'glorotUniform', inputShape: [64, 64, 3] }),
        tf.layers.reLU(),
        tf.layers.maxPooling2d({ poolSize: 8, strides: 8, padding: 'same' }),
        tf.layers.conv2d({ filters: 16, kernelSize: 2, padding: 'same', kernelInitializer: 'glorotUniform' }),
        tf.layers.reLU(),
        tf.layers.maxPooling2d({ poolSize: 4, strides: 4, padding: 'same' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 6, activation: 'softmax' }),
      ],
    });
    const { differences } = compareSummaries(reference, summarizeModel(sequential));
    expect(differences).toEqual([
      "the model has no InputLayer row: the course builds this model with the functional API (tf.input, then tf.model({inputs, outputs})), whose summary starts with an InputLayer; a tf.sequential model has none (its layers are otherwise in the course's order)",
      'the model has 8 layers, expected 9',
    ]);
  });

  test('a layer of another kind is named with its row, and articles read right', () => {
    expect(english({ id: 'layers.class-an', params: { name: 'InputLayer' } })).toBe('an InputLayer');
    const averaged = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [4, 4, 1] }), tf.layers.averagePooling2d({ poolSize: 2 })] });
    const maxed = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [4, 4, 1] }), tf.layers.maxPooling2d({ poolSize: 2 })] });
    expect(compareSummaries(summarizeModel(maxed), summarizeModel(averaged)).differences[0]).toBe('row 2: an AveragePooling2D layer where the course has a MaxPooling2D');
  });

  test('tfjs\'s default Conv2D initializer is named: the course expects GlorotUniform', () => {
    const input = tf.input({ shape: [8, 8, 3] });
    const output = tf.layers.conv2d({ filters: 2, kernelSize: 2, padding: 'same' }).apply(input) as tf.SymbolicTensor;
    const row = summarizeModel(tf.model({ inputs: input, outputs: output })).rows[1];
    expect(row[5]).toBe('GlorotNormal');
    const expected = { ...summarizeModel(tf.model({ inputs: input, outputs: output })) };
    expected.rows = expected.rows.map((r, i) => (i === 1 ? [...r.slice(0, 5), 'GlorotUniform'] : r));
    expect(compareSummaries(expected, summarizeModel(tf.model({ inputs: input, outputs: output }))).differences[0]).toMatch(
      /kernel initializer "GlorotUniform" expected, "GlorotNormal" found \(tfjs's Conv2D default; Keras's is glorot_uniform: pass kernelInitializer: 'glorotUniform'\)/,
    );
  });
});
