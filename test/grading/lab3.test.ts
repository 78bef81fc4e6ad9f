/**
 * Lab 3 graded end to end: the course's [D] identity-block values, the ResNet50 summary against
 * the shared 177-row reference, the stage-5 filters of the old notebook text, typical block
 * mistakes, the trained model's accuracy bands, and a CPU smoke run of `labgrade train`.
 */
import { english } from '../../src/i18n/messages.js';
import { describe, expect, test } from '@jest/globals';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execaNode } from 'execa';
import { publishedWeights, residualNetworks } from '../../graders/residual-networks.js';
import { gradeLab } from '../../src/engine/grade-lab.js';
import type { GradeLabOptions } from '../../src/engine/lab-context.js';
import type { ExerciseResult, LabResult } from '../../src/contract/result.js';
import { loadExpected } from '../../src/cases/expected.js';
import type { EncodedTensor } from '../../src/contract/values.js';
import type { ModelSummary } from '../../src/contract/summary.js';
import { projectRoot } from '../../src/paths.js';
import { readSharedJson, sharedFile } from '../shared-data.js';
import { makeSubmission, referenceWith } from './submissions.js';
import { SANDBOX } from '../sandbox-kind.js';
import { gradeSubmission, openSubmission } from '../../src/engine/grade-submission.js';
import { renderMarkdown } from '../../src/report/templates.js';

const LAB_FILE = 'residual-networks.ts';
const testSet = sharedFile('datasets/signs/test_signs.h5');
const dataDir = testSet ? path.resolve(testSet, '..', '..') : undefined;
const grade = (dir: string, options: Partial<GradeLabOptions> = {}) => gradeLab(residualNetworks, openSubmission(dir), { checks: 'all', sandbox: SANDBOX, backend: 'wasm', dataDir, ...options });
const byId = (lab: LabResult) => Object.fromEntries(lab.exercises.map((e) => [e.id, e])) as Record<string, ExerciseResult>;
const withReference = (replacements: [string, string][]) => makeSubmission({ [LAB_FILE]: referenceWith(replacements, LAB_FILE) });

describe('Lab 3 fixtures against the course', () => {
  const expected = loadExpected('residual-networks', 'public').cases;

  test('the three [D] identity-block cases equal the float64 reference outputs to 1e-5', () => {
    const numpy = readSharedJson<Record<string, Record<string, { output: number[][][][] }>>>('reference/numpy-fixtures.json');
    if (!numpy) return;
    const published = numpy.resnet_identity_block_constant1;
    const pairs: [string, string][] = [
      ['identityBlock/course-d-f2-inference', 'f2_[4,4,3]_training_false'],
      ['identityBlock/course-d-f3-training', 'f3_[3,3,3]_training_true'],
      ['identityBlock/notebook-d-f2-training', 'f2_[3,3,3]_training_true'],
    ];
    for (const [key, numpyKey] of pairs) {
      const ours = (expected[key].expected as EncodedTensor).$tensor.data;
      const theirs = published[numpyKey].output.flat(3);
      expect([key, ours.length]).toEqual([key, theirs.length]);
      const worst = Math.max(...theirs.map((v, i) => Math.abs(v - ours[i]) / Math.max(1, Math.abs(v))));
      expect([key, worst < 1e-5]).toEqual([key, true]);
    }
  });

  test('the ResNet50 summary is the shared 177-row reference, with its totals', () => {
    const reference = readSharedJson<{ row_count: number; total_params: number; layers: unknown[] }>('reference/resnet50_summary.json');
    if (!reference) return;
    const summary = (expected['resNet50/course-summary'].expected as { $model: ModelSummary }).$model;
    expect(summary.rows).toEqual(reference.layers);
    expect(summary.rows).toHaveLength(reference.row_count);
    expect([summary.trainableParams + summary.nonTrainableParams, summary.trainableParams, summary.nonTrainableParams]).toEqual([23_600_006, 23_546_886, 53_120]);
  });
});

describe('Lab 3 grading', () => {
  test('the reference gets every structural point; without a trained model that exercise is missing, and the lab is shown as optional', async () => {
    const lab = await grade(path.join(projectRoot, 'solutions'));
    const ex = byId(lab);
    for (const id of ['identityBlock', 'convolutionalBlock', 'resNet50']) expect([id, ex[id].status, ex[id].points]).toEqual([id, 'passed', ex[id].maxPoints]);
    expect(ex.trainedModel.status).toBe('missing');
    expect(ex.trainedModel.message).toMatch(/no trained model in the submission: add resnet50\.h5/);
    expect([lab.points, lab.maxPoints, lab.optional]).toEqual([35, 50, true]);
  });

  test('the old notebook\'s stage-5 filters [256, 256, 2048] get the stage, layer and parameter counts named', async () => {
    const dir = withReference([["for (const block of ['b', 'c']) x = identityBlock(x, 3, [512, 512, 2048], 5, block);", "for (const block of ['b', 'c']) x = identityBlock(x, 3, [256, 256, 2048], 5, block);"]]);
    const resNet = byId(await grade(dir)).resNet50;
    const summary = resNet.checks.find((c) => c.id.endsWith(':summary'))!;
    expect(summary.passed).toBe(false);
    expect(summary.message).toContain(
      'row 155 (stage 5, identity block b), layer "res5b_branch2a" Conv2D: output shape [None, 2, 2, 512] expected, [None, 2, 2, 256] found; parameter count 1,049,088 expected, 524,544 found',
    );
    expect(summary.message).toContain('total params 17,958,790 (trainable 17,907,718, non-trainable 51,072), expected 23,600,006 (trainable 23,546,886, non-trainable 53,120)');
    expect(summary.diagnosis?.message).toBe("Stage 5's identity blocks take filters [512, 512, 2048]. The old notebook text says [256, 256, 2048], which gives 17,958,790 parameters instead of 23,600,006.");
    expect(resNet.checks.find((c) => c.id.endsWith(':layer-names'))!.passed).toBe(true);
  });

  test('typical block mistakes are named: no shortcut; the stride on the middle convolution', async () => {
    const dir = withReference([
      ['  x = applied(tf.layers.add(), [shortcut, x]);\n', ''],
      ["let x = applied(tf.layers.conv2d({ filters: F1, kernelSize: 1, strides: s, padding: 'valid', name: `${convName}2a`, kernelInitializer: init() }), X);", "let x = applied(tf.layers.conv2d({ filters: F1, kernelSize: 1, strides: 1, padding: 'valid', name: `${convName}2a`, kernelInitializer: init() }), X);"],
      ["x = applied(tf.layers.conv2d({ filters: F2, kernelSize: f, strides: 1, padding: 'same', name: `${convName}2b`, kernelInitializer: init() }), x);\n  x = applied(tf.layers.batchNormalization({ axis: 3, name: `${bnName}2b` }), x, options);\n  x = applied(tf.layers.activation({ activation: 'relu' }), x);\n  x = applied(tf.layers.conv2d({ filters: F3, kernelSize: 1, strides: 1, padding: 'valid', name: `${convName}2c`, kernelInitializer: init() }), x);\n  shortcut", "x = applied(tf.layers.conv2d({ filters: F2, kernelSize: f, strides: s, padding: 'same', name: `${convName}2b`, kernelInitializer: init() }), x);\n  x = applied(tf.layers.batchNormalization({ axis: 3, name: `${bnName}2b` }), x, options);\n  x = applied(tf.layers.activation({ activation: 'relu' }), x);\n  x = applied(tf.layers.conv2d({ filters: F3, kernelSize: 1, strides: 1, padding: 'valid', name: `${convName}2c`, kernelInitializer: init() }), x);\n  shortcut"],
    ]);
    const ex = byId(await grade(dir, { dataDir: undefined }));
    expect(ex.identityBlock.points).toBe(0);
    expect(ex.identityBlock.checks[0].diagnosis?.mistake).toBe('no-shortcut');
    expect(ex.convolutionalBlock.checks[0].diagnosis?.mistake).toBe('stride-on-middle-conv');
  });

  const withData = dataDir && sharedFile('models/resnet50_signs_weights.h5') ? test : test.skip;
  withData('a submission holding the course-format trained weights gets all 15 points for them (0.9833)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'labgrade-lab3-'));
    copyFileSync(path.join(projectRoot, 'solutions', LAB_FILE), path.join(dir, LAB_FILE));
    copyFileSync(sharedFile('models/resnet50_signs_weights.h5')!, path.join(dir, 'ResNet50.h5'));
    const lab = await grade(dir);
    const trained = byId(lab).trainedModel;
    expect(trained.checks.map((c) => [c.id, c.passed])).toEqual([
      ['trainedModel/accuracy-0.8', true],
      ['trainedModel/accuracy-0.9', true],
      ['trainedModel/accuracy-0.95', true],
    ]);
    expect(trained.checks[0].message).toMatch(/^Test accuracy 0\.9833 \(118 of 120\) on the public SIGNS test set \(ResNet50\.h5\)\. Every student has those images/);
    // The course's published weights: they score as any model does, and the report says what they are.
    expect(trained.scores).toEqual({ file: 'ResNet50.h5', test: { correct: 118, total: 120, accuracy: 118 / 120 }, decidedBy: 'test', weightsSha256: publishedWeights()[0].sha256, weightsSample: publishedWeights()[0].sample, channelNorms: publishedWeights()[0].channelNorms.map((v) => expect.closeTo(v, 6)), published: english({ id: `published.${publishedWeights()[0].id}` }), publishedRef: { id: `published.${publishedWeights()[0].id}` } });
    expect(trained.checks[0].message).toContain("These weights are the course's published pretrained ResNet50 for SIGNS (the notebook's resnet50.h5): they score as any model does, but they show no training of your own.");
    expect([lab.points, lab.maxPoints]).toEqual([50, 50]);
  });
});

describe('Lab 3 trained-model files that cannot be scored', () => {
  const withData = dataDir ? test : test.skip;
  const referenceWithModel = (files: (dir: string) => void, labFile = readFileSync(path.join(projectRoot, 'solutions', LAB_FILE), 'utf8')) => {
    const dir = makeSubmission({ [LAB_FILE]: labFile });
    files(dir);
    return dir;
  };

  withData('a link that leads out of the submission folder is refused, and says so', async () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'labgrade-outside-'));
    writeFileSync(path.join(outside, 'secret.h5'), 'not for the report');
    const dir = referenceWithModel((d) => symlinkSync(path.join(outside, 'secret.h5'), path.join(d, 'resnet50.h5')));
    const trained = byId(await grade(dir)).trainedModel;
    expect(trained.points).toBe(0);
    expect(trained.checks[0].message).toBe('resnet50.h5 is a link that leads out of the submission folder: submit the file itself, not a link to another file.');
  });

  withData('a malformed model.json (not JSON, a broken manifest) scores 0 with the reason; grading goes on', async () => {
    const notJson = referenceWithModel((d) => {
      mkdirSync(path.join(d, 'resnet50'));
      writeFileSync(path.join(d, 'resnet50', 'model.json'), 'root:x:0:0:root:/root:/bin/bash');
    });
    const first = byId(await grade(notJson)).trainedModel;
    expect(first.checks[0].message).toBe('resnet50/model.json is not valid JSON');
    const badManifest = referenceWithModel((d) => {
      mkdirSync(path.join(d, 'resnet50'));
      writeFileSync(path.join(d, 'resnet50', 'model.json'), JSON.stringify({ modelTopology: {}, weightsManifest: [null] }));
    });
    expect(byId(await grade(badManifest)).trainedModel.checks[0].message).toMatch(/is not a tfjs layers model's model\.json/);
  });

  withData('a lab file that does not compile still has its trained model scored', async () => {
    const dir = referenceWithModel((d) => copyFileSync(sharedFile('models/resnet50_signs_weights.h5')!, path.join(d, 'resnet50.h5')), 'export function identityBlock( {');
    const lab = await grade(dir);
    expect(lab.status).toBe('error');
    expect(byId(lab).trainedModel.points).toBe(15);
    expect(byId(lab).resNet50.points).toBe(0);
  });
});

describe('labgrade train (CPU smoke run)', () => {
  const run = dataDir ? test : test.skip;
  run(
    'a few steps on a dozen images: the loss is finite and falls, the model is saved and scored, and the threshold is reported',
    async () => {
      const out = mkdtempSync(path.join(os.tmpdir(), 'labgrade-train-'));
      const r = await execaNode(path.join(projectRoot, 'bin', 'labgrade.js'), ['train', 'residual-networks', path.join(projectRoot, 'solutions'), '--out', out, '--data', dataDir!, '--subset', '12', '--epochs', '4', '--batch-size', '12', '--backend', 'wasm'], { reject: false, all: true });
      expect(r.all).toMatch(/epoch 4\/4: val_loss/);
      // A smoke run cannot reach the threshold: exit 1, saying so.
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toMatch(/Test accuracy 0\.\d{4} \(\d+ of 120\): below 0\.95/);
      const training = JSON.parse(readFileSync(path.join(out, 'training.json'), 'utf8'));
      const loss: number[] = training.history.loss;
      expect(loss).toHaveLength(4);
      expect(loss.every(Number.isFinite)).toBe(true);
      expect(loss[3]).toBeLessThan(loss[0]);
      expect(readFileSync(path.join(out, 'training.md'), 'utf8')).toMatch(/\| epoch \| val_loss \| val_acc \| loss \| acc \| learning rate \|/);
      expect(readFileSync(path.join(out, 'loss.svg'), 'utf8')).toMatch(/^<svg/);
      expect(JSON.parse(readFileSync(path.join(out, 'resnet50', 'model.json'), 'utf8')).weightsManifest[0].paths).toEqual(['weights.bin']);
    },
    240_000,
  );
});

describe('Lab 3: what decides the trained-model points', () => {
  const withWeights = dataDir && sharedFile('models/resnet50_signs_weights.h5') ? test : test.skip;
  withWeights('an instructor\'s held-out images decide the points where given, shown in the report and result.json', async () => {
    const dir = makeSubmission({ [LAB_FILE]: 'export {};\n' });
    copyFileSync(sharedFile('models/resnet50_signs_weights.h5')!, path.join(dir, 'resnet50.h5'));
    // 36 photos of the val split, six per class: a stand-in for images the students never saw.
    const holdout = mkdtempSync(path.join(os.tmpdir(), 'labgrade-holdout-'));
    const val = path.join(dataDir!, 'signs', 'jpeg64', 'val_signs');
    for (const label of [0, 1, 2, 3, 4, 5]) {
      for (const name of readdirSync(val).filter((f) => f.startsWith(`${label}_`)).sort().slice(0, 6)) copyFileSync(path.join(val, name), path.join(holdout, name));
    }
    const result = await gradeSubmission(openSubmission(dir), [residualNetworks], { checks: 'all', sandbox: SANDBOX, backend: 'wasm', dataDir, holdoutDir: holdout });
    const trained = result.labs[0].exercises.find((e) => e.id === 'trainedModel')!;
    expect(trained.scores?.decidedBy).toBe('holdout');
    expect(trained.scores?.holdout?.total).toBe(36);
    expect(trained.scores?.test).toEqual({ correct: 118, total: 120, accuracy: 118 / 120 });
    expect(trained.checks[0].description).toMatch(/accuracy on the instructor's held-out images/);
    expect(trained.checks[0].message).toMatch(/^Held-out accuracy \d\.\d{4} \(\d+ of 36\) decides the points; on the public SIGNS test set 0\.9833 \(118 of 120\)/);
    expect(renderMarkdown(result)).toContain('Held-out accuracy');
  });
});

describe('labgrade train never calls what a submission returned', () => {
  const run = dataDir ? test : test.skip;
  run('a resNet50 whose model brings its own fit and save, and is not the course\'s ResNet50, is refused before any training', async () => {
    const hostile = `import * as tf from '@tensorflow/tfjs';
export function resNet50() {
  const input = tf.input({ shape: [64, 64, 3] });
  const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 6, activation: 'softmax' }).apply(tf.layers.flatten().apply(input)) as tf.SymbolicTensor });
  (model as any).fit = async () => ({ history: { loss: [0], acc: [1], val_loss: [0], val_acc: [1] } });
  (model as any).save = async () => ({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } });
  return model;
}
`;
    const out = mkdtempSync(path.join(os.tmpdir(), 'labgrade-train-'));
    const r = await execaNode(path.join(projectRoot, 'bin', 'labgrade.js'), ['train', 'residual-networks', makeSubmission({ [LAB_FILE]: hostile }), '--out', out, '--data', dataDir!, '--sandbox', SANDBOX], { reject: false, all: true });
    expect({ exitCode: r.exitCode, output: r.all }).toEqual({ exitCode: 2, output: expect.stringContaining("training failed: the model is not the course's ResNet50: it has 3 layers (expected 177), and layer 2 is a Flatten where the course has a ZeroPadding2D") });
    expect(existsSync(path.join(out, 'resnet50'))).toBe(false);
  });
});
