/**
 * Trained-model files: the course-format Keras weights (the real shared file, and files written
 * here) mapped by layer name, tfjs model.json round trips, and `labgrade evaluate`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { execaNode } from 'execa';
import { loadWeightsByName, ModelFileError, readKerasWeights } from '../../src/models/keras-h5.js';
import { loadTfjsModelFiles, saveTfjsModelFiles } from '../../src/models/tfjs-files.js';
import { resNet50 } from '../../solutions/residual-networks.js';
import { projectRoot } from '../../src/paths.js';
import { sharedFile } from '../shared-data.js';
import { jsonOutput } from '../command-output.js';
import { writeKerasWeights } from './keras-weights-file.js';

const BIN = path.join(projectRoot, 'bin', 'labgrade.js');
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'labgrade-models-'));
const shared = sharedFile('models/resnet50_signs_weights.h5');
const testSet = sharedFile('datasets/signs/test_signs.h5');
const dataDir = testSet ? path.resolve(testSet, '..', '..') : undefined;
const withShared = shared && dataDir ? test : test.skip;

describe('Keras weights files', () => {
  test('the shared ResNet50 file: 107 layers in the 2017 names, loaded by name into the course architecture', () => {
    if (!shared) return;
    const weights = readKerasWeights(shared);
    expect(weights.size).toBe(107);
    expect(weights.get('res2a_branch2a')!.map((w) => [w.name, w.shape])).toEqual([
      ['kernel', [1, 1, 64, 64]],
      ['bias', [64]],
    ]);
    expect(weights.get('bn_conv1')!.map((w) => w.name)).toEqual(['gamma', 'beta', 'moving_mean', 'moving_variance']);
    const model = resNet50();
    expect(loadWeightsByName(tf, model, weights, 'shared')).toEqual({ layers: 107, weights: 320 });
    model.dispose();
  });

  test('a file without one of the model\'s layers names that layer', async () => {
    const file = path.join(tmp(), 'partial.h5');
    await writeKerasWeights(file, [
      { name: 'conv1', weights: [{ name: 'kernel', shape: [7, 7, 3, 64] }, { name: 'bias', shape: [64] }] },
      { name: 'bn_conv1', weights: ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((name) => ({ name, shape: [64] })) },
    ]);
    const model = resNet50();
    expect(() => loadWeightsByName(tf, model, readKerasWeights(file), 'partial.h5')).toThrow(/partial\.h5 does not fit the model: it has no weights for layer "res2a_branch2a" \(Conv2D\)/);
    model.dispose();
  });

  test('a weight of another shape names the layer and both shapes', async () => {
    const file = path.join(tmp(), 'narrow.h5');
    await writeKerasWeights(file, [
      { name: 'conv1', weights: [{ name: 'kernel', shape: [7, 7, 3, 32] }, { name: 'bias', shape: [32] }] },
    ]);
    const model = resNet50();
    expect(() => loadWeightsByName(tf, model, readKerasWeights(file), 'narrow.h5')).toThrow('narrow.h5 does not fit the model: layer "conv1" kernel is [7, 7, 3, 32] in the file, but [7, 7, 3, 64] in the model');
    model.dispose();
  });

  test('files that are not Keras weights get clear errors', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'junk.h5'), 'not hdf5');
    expect(() => readKerasWeights(path.join(dir, 'junk.h5'))).toThrow(ModelFileError);
    expect(() => readKerasWeights(path.join(dir, 'junk.h5'))).toThrow(/is not a readable HDF5 file/);
    expect(() => readKerasWeights(path.join(dir, 'missing.h5'))).toThrow(/does not exist/);
    await writeKerasWeights(path.join(dir, 'empty.h5'), [{ name: 'conv1', weights: [] }]);
    expect(() => readKerasWeights(path.join(dir, 'empty.h5'))).toThrow(/holds no layer weights/);
  });
});

describe('tfjs model files', () => {
  test('a saved model loads back with the same predictions', async () => {
    const input = tf.input({ shape: [4] });
    const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 3, activation: 'softmax' }).apply(input) as tf.SymbolicTensor });
    const dir = tmp();
    await saveTfjsModelFiles(model, dir, tf);
    const loaded = await loadTfjsModelFiles(tf, dir);
    const x = tf.tensor2d([[1, 2, 3, 4]]);
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((model.predict(x) as tf.Tensor).dataSync()));
  });

  test('a model.json without topology is refused with the reason', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ weightsManifest: [] }));
    await expect(loadTfjsModelFiles(tf, dir)).rejects.toThrow(/is not a tfjs layers model/);
  });
});

describe('labgrade evaluate', () => {
  withShared('the shared Keras file scores 0.9833 (118 of 120) and full marks', async () => {
    const r = await execaNode(BIN, ['evaluate', shared!, '--data', dataDir!, '--json'], { reject: false });
    const result = jsonOutput(r);
    expect(r.exitCode).toBe(0);
    expect([result.correct, result.total, result.points, result.maxPoints]).toEqual([118, 120, 15, 15]);
    expect(result.accuracy).toBeCloseTo(0.9833, 4);
  });

  withShared('the same weights saved as a tfjs model score the same', async () => {
    const model = resNet50();
    loadWeightsByName(tf, model, readKerasWeights(shared!), 'shared');
    const dir = tmp();
    await saveTfjsModelFiles(model, dir, tf);
    model.dispose();
    const r = await execaNode(BIN, ['evaluate', path.join(dir, 'model.json'), '--data', dataDir!, '--json'], { reject: false });
    expect(jsonOutput(r).correct).toBe(118);
  });

  test('a file that does not fit is bad usage, with the first layer named', async () => {
    const file = path.join(tmp(), 'partial.h5');
    await writeKerasWeights(file, [{ name: 'conv1', weights: [{ name: 'kernel', shape: [7, 7, 3, 64] }, { name: 'bias', shape: [64] }] }]);
    const r = await execaNode(BIN, ['evaluate', file, ...(dataDir ? ['--data', dataDir] : [])], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(dataDir ? /it has no weights for layer "bn_conv1"/ : /does not exist/);
  });
});
