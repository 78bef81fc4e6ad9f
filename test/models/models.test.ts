/**
 * Trained-model files: the course-format Keras weights (the real shared file, and files written
 * here) read for the layers the course architecture expects, tfjs model.json weights, and
 * `labgrade evaluate`, which scores a file in a sandboxed evaluator as grading does.
 */
import { english } from '../../src/i18n/messages.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { execaNode } from 'execa';
import { readKerasWeights } from '../../src/models/keras-h5.js';
import { expectedWeights, ModelFileError, readTfjsWeights, setTrainedWeights } from '../../src/models/trained-weights.js';
import { writeTfjsModelFiles } from '../../src/models/tfjs-files.js';
import { resNet50 } from '../../solutions/residual-networks.js';
import { publishedWeights } from '../../graders/residual-networks.js';
import { projectRoot } from '../../src/paths.js';
import { sharedFile } from '../shared-data.js';
import { jsonOutput } from '../command-output.js';
import { SANDBOX } from '../sandbox-kind.js';
import { writeKerasWeights } from './keras-weights-file.js';

const BIN = path.join(projectRoot, 'bin', 'labgrade.js');
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'labgrade-models-'));
const shared = sharedFile('models/resnet50_signs_weights.h5');
const testSet = sharedFile('datasets/signs/test_signs.h5');
const dataDir = testSet ? path.resolve(testSet, '..', '..') : undefined;
const withShared = shared && dataDir ? test : test.skip;

/** The course ResNet50's expected weights, built once. */
const course = (() => {
  let built: ReturnType<typeof expectedWeights> | undefined;
  return () => {
    if (!built) {
      const model = resNet50();
      built = expectedWeights(model);
      model.dispose();
    }
    return built;
  };
})();

async function savedModelFiles(model: tf.LayersModel): Promise<{ modelJson: Uint8Array; weights: Record<string, Uint8Array> }> {
  const dir = tmp();
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      writeTfjsModelFiles(dir, artifacts, 'test');
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return { modelJson: readFileSync(path.join(dir, 'model.json')), weights: { 'weights.bin': readFileSync(path.join(dir, 'weights.bin')) } };
}

describe('Keras weights files', () => {
  test('the shared ResNet50 file: 107 layers in the 2017 names, loaded by name into the course architecture', () => {
    if (!shared) return;
    const weights = readKerasWeights(readFileSync(shared), 'shared.h5', course());
    expect(weights.size).toBe(107);
    expect(weights.get('res2a_branch2a')!.map((w) => [w.name, w.shape])).toEqual([
      ['kernel', [1, 1, 64, 64]],
      ['bias', [64]],
    ]);
    expect(weights.get('bn_conv1')!.map((w) => w.name)).toEqual(['gamma', 'beta', 'moving_mean', 'moving_variance']);
    const model = resNet50();
    setTrainedWeights(tf, model, weights);
    expect(Array.from(model.getLayer('fc6').getWeights()[1].dataSync())).toEqual(Array.from(weights.get('fc6')![1].values));
    model.dispose();
  });

  test('a file without one of the model\'s layers names that layer', async () => {
    const file = path.join(tmp(), 'partial.h5');
    await writeKerasWeights(file, [
      { name: 'conv1', weights: [{ name: 'kernel', shape: [7, 7, 3, 64] }, { name: 'bias', shape: [64] }] },
      { name: 'bn_conv1', weights: ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((name) => ({ name, shape: [64] })) },
    ]);
    expect(() => readKerasWeights(readFileSync(file), 'partial.h5', course())).toThrow(/partial\.h5 does not fit the model: it has no weights for layer "res2a_branch2a" \(Conv2D\)/);
  });

  test('a weight of another shape names the layer and both shapes', async () => {
    const file = path.join(tmp(), 'narrow.h5');
    await writeKerasWeights(file, [{ name: 'conv1', weights: [{ name: 'kernel', shape: [7, 7, 3, 32] }, { name: 'bias', shape: [32] }] }]);
    expect(() => readKerasWeights(readFileSync(file), 'narrow.h5', course())).toThrow('narrow.h5 does not fit the model: layer "conv1" kernel is [7, 7, 3, 32] in the file, but [7, 7, 3, 64] in the model');
  });

  test('chunked or compressed weights are refused before any chunk is expanded', async () => {
    const file = path.join(tmp(), 'gzip.h5');
    await writeKerasWeights(file, [{ name: 'conv1', weights: [{ name: 'kernel', shape: [7, 7, 3, 64] }, { name: 'bias', shape: [64] }] }], 'chunked-gzip');
    expect(() => readKerasWeights(readFileSync(file), 'gzip.h5', course())).toThrow('gzip.h5: layer "conv1" kernel is stored chunked or compressed');
  });

  test('files that are not Keras weights get clear errors', async () => {
    expect(() => readKerasWeights(Buffer.from('not hdf5'), 'junk.h5', course())).toThrow(ModelFileError);
    expect(() => readKerasWeights(Buffer.from('not hdf5'), 'junk.h5', course())).toThrow('junk.h5 is not a readable HDF5 file');
    const file = path.join(tmp(), 'empty.h5');
    await writeKerasWeights(file, [{ name: 'conv1', weights: [] }]);
    expect(() => readKerasWeights(readFileSync(file), 'empty.h5', course())).toThrow('empty.h5 does not fit the model: layer "conv1" has no weight "kernel" in the file (it has none)');
  });
});

describe('tfjs model files', () => {
  const dense = () => {
    const input = tf.input({ shape: [4] });
    return tf.model({ inputs: input, outputs: tf.layers.dense({ units: 3, activation: 'softmax', name: 'fc' }).apply(input) as tf.SymbolicTensor });
  };

  test('saved weights are read back exactly, for the layers expected', async () => {
    const model = dense();
    const files = await savedModelFiles(model);
    const read = readTfjsWeights(files.modelJson, files.weights, 'model.json', expectedWeights(model));
    expect(Array.from(read.get('fc')![0].values)).toEqual(Array.from(model.getLayer('fc').getWeights()[0].dataSync()));
  });

  test('a manifest that does not add up, lists a file twice or names no such file is refused', async () => {
    const model = dense();
    const { modelJson, weights } = await savedModelFiles(model);
    const manifest = JSON.parse(Buffer.from(modelJson).toString());
    const edited = (change: (m: { weightsManifest: { paths: string[]; weights: { shape: number[] }[] }[] }) => void) => {
      const copy = structuredClone(manifest);
      change(copy);
      return Buffer.from(JSON.stringify(copy));
    };
    const expected = expectedWeights(model);
    expect(() => readTfjsWeights(edited((m) => (m.weightsManifest[0].weights[0].shape = [4000, 3])), weights, 'model.json', expected)).toThrow(/fewer than the manifest's weights need/);
    expect(() => readTfjsWeights(edited((m) => m.weightsManifest[0].paths.push('weights.bin')), weights, 'model.json', expected)).toThrow(/lists the weights file "weights.bin" twice/);
    expect(() => readTfjsWeights(edited((m) => (m.weightsManifest[0].paths = ['../../etc/passwd'])), weights, 'model.json', expected)).toThrow(/which is not a file in its folder/);
    expect(() => readTfjsWeights(Buffer.from('{'), weights, 'model.json', expected)).toThrow('model.json is not valid JSON');
  });

  test('a model of another architecture does not fit the course ResNet50, whatever its own topology says', async () => {
    const files = await savedModelFiles(dense());
    expect(() => readTfjsWeights(files.modelJson, files.weights, 'resnet50/model.json', course())).toThrow(/resnet50\/model\.json does not fit the model: it has no weights for layer "conv1" \(Conv2D\)/);
  });
});

test('weights that are not finite are the file\'s fault, said as such (they were blamed on labgrade and retried)', () => {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], name: 'fc' })] });
  const kernel = new Float32Array(6).fill(0.5);
  kernel[4] = Number.NaN;
  const stored = new Map([['fc', [{ name: 'kernel', shape: [3, 2], values: kernel }, { name: 'bias', shape: [2], values: new Float32Array([0, Infinity]) }]]]);
  expect(() => setTrainedWeights(tf, model, stored)).toThrow(ModelFileError);
  expect(() => setTrainedWeights(tf, model, stored)).toThrow('the weight kernel of layer fc holds values that are not finite (NaN or infinity)');
  kernel[4] = 0;
  stored.get('fc')![1].values[1] = 0;
  setTrainedWeights(tf, model, stored);
  expect(Array.from(model.getWeights()[0].dataSync())).toEqual(Array.from(kernel));
  model.dispose();
});

describe('labgrade evaluate', () => {
  withShared('the shared Keras file scores 0.9833 (118 of 120) and full marks', async () => {
    const r = await execaNode(BIN, ['evaluate', shared!, '--data', dataDir!, '--sandbox', SANDBOX, '--json'], { reject: false });
    const result = jsonOutput(r);
    expect(r.exitCode).toBe(0);
    expect([result.correct, result.total, result.points, result.maxPoints]).toEqual([118, 120, 15, 15]);
    expect(result.accuracy).toBeCloseTo(0.9833, 4);
    expect(result.published).toMatch(/^the course's published pretrained ResNet50/);
  });

  withShared('the same weights saved as a tfjs model score the same, and are named as the published ones, one value changed or not', async () => {
    const model = resNet50();
    setTrainedWeights(tf, model, readKerasWeights(readFileSync(shared!), 'shared.h5', course()));
    const evaluateSaved = async () => {
      const files = await savedModelFiles(model);
      const dir = tmp();
      writeFileSync(path.join(dir, 'model.json'), files.modelJson);
      writeFileSync(path.join(dir, 'weights.bin'), files.weights['weights.bin']);
      return jsonOutput(await execaNode(BIN, ['evaluate', path.join(dir, 'model.json'), '--data', dataDir!, '--sandbox', SANDBOX, '--json'], { reject: false }));
    };
    try {
      const same = await evaluateSaved();
      expect(same.correct).toBe(118);
      // Saved another way, they are the same weights: the same hash, named as the published ones.
      expect(same.weightsSha256).toBe(publishedWeights()[0].sha256);
      expect(same.published).toBe(english({ id: `published.${publishedWeights()[0].id}` }));
      // One value changed (a student dodging the hash): another hash, the same weights all the same.
      const conv = model.getLayer('conv1');
      const [kernel, bias] = conv.getWeights();
      const values = kernel.dataSync().slice();
      values[0] += 1e-3;
      conv.setWeights([tf.tensor(values, kernel.shape), bias]);
      const changed = await evaluateSaved();
      expect(changed.weightsSha256).not.toBe(publishedWeights()[0].sha256);
      expect(changed.published).toMatch(/^the course's published pretrained ResNet50 for SIGNS \(the notebook's resnet50\.h5\), or weights made from it \(kernels correlating 1\.000 with it\)$/);
    } finally {
      model.dispose();
    }
  });

  test('a file that does not fit is bad usage, with the first layer named', async () => {
    const file = path.join(tmp(), 'partial.h5');
    await writeKerasWeights(file, [{ name: 'conv1', weights: [{ name: 'kernel', shape: [7, 7, 3, 64] }, { name: 'bias', shape: [64] }] }]);
    const r = await execaNode(BIN, ['evaluate', file, '--sandbox', SANDBOX, ...(dataDir ? ['--data', dataDir] : [])], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(dataDir ? /it has no weights for layer "bn_conv1"/ : /does not exist/);
  });
});
