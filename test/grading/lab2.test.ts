/**
 * Lab 2 graded end to end through the sandbox: the reference trained on the real SIGNS data
 * (the long test: 100 epochs), and the structural checks of broken submissions with training
 * skipped, and what happens without the data.
 */
import { describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { convApplication, RECIPE_AGREEMENT, TEST_ACCURACY_THRESHOLD, TRAIN_ACCURACY_THRESHOLD } from '../../graders/conv-application.js';
import { gradeLab } from '../../src/engine/grade-lab.js';
import type { GradeLabOptions } from '../../src/engine/lab-context.js';
import { gradeSubmission, openSubmission } from '../../src/engine/grade-submission.js';
import { validateResult } from '../../src/report/result-json.js';
import { renderHtml, renderMarkdown } from '../../src/report/templates.js';
import type { ExerciseResult, LabResult } from '../../src/contract/result.js';
import { projectRoot } from '../../src/paths.js';
import { sharedFile } from '../shared-data.js';
import { diagnosed, makeSubmission, referenceWith } from './submissions.js';
import { SANDBOX } from '../sandbox-kind.js';

const LAB_FILE = 'conv-application.ts';
const signsTest = sharedFile('datasets/signs/test_signs.h5');
const dataDir = signsTest ? path.resolve(signsTest, '..', '..') : undefined;
const grade = (dir: string, options: Partial<GradeLabOptions> = {}) =>
  gradeLab(convApplication, openSubmission(dir), { checks: 'all', sandbox: SANDBOX, backend: 'wasm', dataDir, ...options });
const byId = (lab: LabResult) => Object.fromEntries(lab.exercises.map((e) => [e.id, e])) as Record<string, ExerciseResult>;
const withReference = (replacements: [string, string][]) => makeSubmission({ [LAB_FILE]: referenceWith(replacements, LAB_FILE) });

describe('Lab 2 structure (training skipped)', () => {
  test('the reference passes every check but training, which is skipped with the reason and scores nothing', async () => {
    const lab = await grade(path.join(projectRoot, 'solutions'), { skipTraining: true });
    const ex = byId(lab);
    expect(lab.backend).toBe('wasm');
    expect(lab.device).toMatch(/WebAssembly/);
    for (const e of lab.exercises.filter((e) => e.id !== 'model')) expect([e.id, e.status, e.points]).toEqual([e.id, 'passed', e.maxPoints]);
    expect(ex.model.status).toBe('skipped');
    expect(ex.model.points).toBe(0);
    expect(ex.model.checks[0].message).toMatch(/--skip-training/);
    expect([lab.points, lab.maxPoints]).toEqual([35, 50]);
  });

  test('a wrong pool size in forwardPropagation and convolutionalModel loses exactly those exercises', async () => {
    const dir = withReference([
      ["const P2 = tf.maxPool(A2, 4, 4, 'same');", "const P2 = tf.maxPool(A2, 2, 2, 'same');"],
      ["x = tf.layers.maxPooling2d({ poolSize: 4, strides: 4, padding: 'same' }).apply(x) as tf.SymbolicTensor;", "x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same' }).apply(x) as tf.SymbolicTensor;"],
    ]);
    const ex = byId(await grade(dir, { skipTraining: true }));
    expect(ex.forwardPropagation.points).toBe(0);
    // The flattened size no longer fits W3 [64, 6]: the matMul says so.
    expect(ex.forwardPropagation.checks[0].message).toMatch(/forwardPropagation threw/);
    expect(ex.convolutionalModel.points).toBe(0);
    expect(ex.convolutionalModel.checks[0].message).toMatch(/row 7 MaxPooling2D: output shape \[None, 2, 2, 16\] expected, \[None, 4, 4, 16\] found; pool size \[4, 4\] expected, \[2, 2\] found/);
    for (const id of ['initializeParameters', 'computeCost', 'happyModel']) expect([id, ex[id].status]).toEqual([id, 'passed']);
  });

  test('a missing Flatten loses forwardPropagation and convolutionalModel, with the row named', async () => {
    const dir = withReference([
      ['const F = tf.reshape(P2, [P2.shape[0], -1]) as tf.Tensor2D;', 'const F = P2 as unknown as tf.Tensor2D;'],
      ['x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;\n', ''],
    ]);
    const ex = byId(await grade(dir, { skipTraining: true }));
    expect(ex.forwardPropagation.points).toBe(0);
    expect(ex.convolutionalModel.points).toBe(0);
    expect(ex.convolutionalModel.checks[0].message).toMatch(/^model: a Flatten layer is missing after row 7 \(MaxPooling2D\): the course's row 8; the model has 8 layers, expected 9/);
    expect(ex.computeCost.status).toBe('passed');
  });

  test('typical mistakes are named: ReLU missing, cost summed', async () => {
    const dir = withReference([
      ['const A1 = tf.relu(Z1);', 'const A1 = Z1;'],
      ['const A2 = tf.relu(Z2);', 'const A2 = Z2;'],
      ['const cost = tf.mean(tf.losses.softmaxCrossEntropy(Y, Z3, undefined, undefined, tf.Reduction.NONE)) as tf.Scalar;', 'const cost = tf.sum(tf.losses.softmaxCrossEntropy(Y, Z3, undefined, undefined, tf.Reduction.NONE)) as tf.Scalar;'],
    ]);
    const ex = byId(await grade(dir, { skipTraining: true }));
    expect(ex.forwardPropagation.checks[0].diagnosis?.mistake).toBe('no-relu');
    expect(ex.computeCost.checks.map(diagnosed)).toEqual(['sum-not-mean', 'sum-not-mean', 'sum-not-mean']);
  });

  test('initial parameters that are not Glorot-uniform fail with the reason', async () => {
    const dir = withReference([['const W1 = glorot([4, 4, 3, 8], 0) as tf.Tensor4D;', 'const W1 = tf.randomNormal([4, 4, 3, 8], 0, 1, "float32", seed) as tf.Tensor4D;']]);
    const ex = byId(await grade(dir, { skipTraining: true }));
    expect(ex.initializeParameters.points).toBe(0);
    expect(ex.initializeParameters.checks[0].message).toMatch(/values of W1 lie outside the Glorot-uniform range ±0\.1846/);
  });
});

describe('Lab 2 without its data', () => {
  test('a missing datasets folder skips the training check, says where it looked, and scores nothing', async () => {
    const lab = await grade(path.join(projectRoot, 'solutions'), { dataDir: path.join(os.tmpdir(), 'labgrade-no-such-data') });
    const model = byId(lab).model;
    expect(model.status).toBe('skipped');
    expect(model.points).toBe(0);
    expect(model.checks[0].message).toMatch(/not run: the dataset is not available: .*labgrade-no-such-data.*signs.* does not exist/);
  });

  test('a corrupt test file is reported as a dataset problem, not as the student\'s error', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'labgrade-bad-data-'));
    mkdirSync(path.join(root, 'signs', 'jpeg64', 'train_signs'), { recursive: true });
    mkdirSync(path.join(root, 'signs', 'jpeg64', 'val_signs'), { recursive: true });
    writeFileSync(path.join(root, 'signs', 'test_signs.h5'), 'not an HDF5 file');
    const model = byId(await grade(path.join(projectRoot, 'solutions'), { dataDir: root })).model;
    expect(model.status).toBe('skipped');
    expect(model.checks[0].message).toMatch(/not run: the dataset is not available: .*(train_signs|test_signs)/);
  });
});

describe('Lab 2 training on SIGNS (the course recipe, 100 epochs, from the grader\'s start)', () => {
  const run = dataDir ? test : test.skip;
  // A result apart from timing and the submission itself (its files, its code as shown).
  const stable = (r: unknown) => JSON.parse(JSON.stringify(r, (k, v) => (['durationMs', 'gradedAt', 'submission', 'code'].includes(k) ? undefined : v)));

  run(
    'the reference gets 50 of 50 on the graded (hidden, relabelled) case, where the committed reference training says; never advancing the seed gives the same result.json; the report keeps the hidden numbers out',
    async () => {
      const gradeFolder = (dir: string) => gradeSubmission(openSubmission(dir), [convApplication], { checks: 'all', sandbox: SANDBOX, backend: 'wasm', dataDir });
      const result = await gradeFolder(path.join(projectRoot, 'solutions'));
      expect(() => validateResult(result, 'result.json')).not.toThrow();
      const lab = result.labs[0];
      const model = byId(lab).model;
      expect(model.checks.map((c) => [c.id, c.status, c.public])).toEqual([
        ['model/hidden-1:from-start', 'passed', false],
        ['model/hidden-1:cost-falls', 'passed', false],
        ['model/hidden-1:train-accuracy', 'passed', false],
        ['model/hidden-1:test-accuracy', 'passed', false],
      ]);
      // A hidden case's measurements are the instructor's: in the first check's hidden detail, not the exercise's metrics.
      expect(model.metrics).toBeUndefined();
      const m = model.checks[0].hiddenDetail!.metrics!;
      expect(m.trainAccuracy).toBeGreaterThanOrEqual(TRAIN_ACCURACY_THRESHOLD);
      expect(m.testAccuracy).toBeGreaterThanOrEqual(TEST_ACCURACY_THRESHOLD);
      // The reference trains exactly as it did when the expected outputs were made: this checks the committed training results.
      for (const r of Object.values(m.referenceCorrelations!)) expect(r).toBeGreaterThan(0.999);
      // Returning the start untrained lands where the reference's W1 correlates with its start: well under the bar.
      expect(m.startCorrelations!.W1).toBeLessThan(RECIPE_AGREEMENT.atLeast - 0.2);
      expect(m.costs).toHaveLength(100);
      expect([lab.points, lab.maxPoints]).toEqual([50, 50]);
      // What the grader measured on its secret labels stays in result.json, out of the report.
      const markdown = renderMarkdown(result);
      expect(markdown).not.toContain(m.trainAccuracy!.toFixed(4));
      expect(await renderHtml(result)).not.toMatch(/<figcaption>Cost per epoch<\/figcaption>/);
      // Deterministic, and the same whatever the seed handling: randomMiniBatches draws the recipe's
      // shuffles in a graded training, so a model() that never advances its seed trains exactly as
      // the reference does (other seeds alone leave W3 as little as 0.11 of its start: docs/lab2-training.md).
      const seedNeverAdvanced = stable(await gradeFolder(withReference([['    seed += 1;\n', '']])));
      expect(seedNeverAdvanced).toEqual(stable(result));
      console.log(`Lab 2 reference on wasm: ${JSON.stringify({ train: m.trainAccuracy, test: m.testAccuracy, start: m.startCorrelations, reference: m.referenceCorrelations, seconds: m.durationMs / 1000 })}`);
    },
    25 * 60_000,
  );
});
