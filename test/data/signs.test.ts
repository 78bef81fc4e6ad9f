/** SIGNS loaders on the real shared files (skipped, saying so, where the shared data is missing). */
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { datasetsDir } from '../../src/data/datasets-dir.js';
import { DatasetError, loadSigns, readSignsH5, readSignsJpegs } from '../../src/data/signs.js';
import { convertToOneHot, miniBatchIndices } from '../../src/data/signs-arrays.js';
import { sharedFile } from '../shared-data.js';

const perClass = (labels: Int32Array) => Array.from({ length: 6 }, (_, c) => labels.filter((l) => l === c).length);
const image = (x: Uint8Array, i: number) => x.subarray(i * 12288, (i + 1) * 12288);

describe('SIGNS from the shared data', () => {
  test('the official test file: 120 images, 20 per class, uint8 pixels', () => {
    const file = sharedFile('datasets/signs/test_signs.h5');
    if (!file) return;
    const test = readSignsH5(file, 'test');
    expect(test.m).toBe(120);
    expect(test.x.length).toBe(120 * 64 * 64 * 3);
    expect(perClass(test.y)).toEqual([20, 20, 20, 20, 20, 20]);
    // The first labels and pixel, as the file stores them (test_set_y[:5], test_set_x[0, 0, 0]).
    expect(Array.from(test.y.slice(0, 5))).toEqual([0, 0, 0, 5, 1]);
    expect(Array.from(test.x.slice(0, 3))).toEqual([231, 224, 216]);
  });

  test('the train JPEGs: 1080 images, 180 per class, in a stable order', () => {
    const folder = sharedFile('datasets/signs/jpeg64/train_signs');
    if (!folder) return;
    const { train } = loadSigns(datasetsDir(path.resolve(folder, '..', '..', '..')));
    expect(train.m).toBe(1080);
    expect(perClass(train.y)).toEqual([180, 180, 180, 180, 180, 180]);
    expect(train.source).toContain('train_signs');
    const again = readSignsJpegs(train.source.split(', '));
    expect(Buffer.compare(Buffer.from(again.x), Buffer.from(train.x))).toBe(0);
  });

  test('each test JPEG decodes to within a few grey levels of its h5 image (as the manifest records)', () => {
    const h5 = sharedFile('datasets/signs/test_signs.h5');
    const manifest = sharedFile('datasets/signs/manifest.csv');
    if (!h5 || !manifest) return;
    const test = readSignsH5(h5, 'test');
    const rows = readFileSync(manifest, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const testRows = rows.filter((r) => r[2] === 'test').slice(0, 10);
    expect(testRows.length).toBe(10);
    const dir = path.dirname(manifest);
    for (const [file, label, , , index, recordedDiff] of testRows) {
      const h5Image = image(test.x, Number(index));
      expect(test.y[Number(index)]).toBe(Number(label));
      const decoded = decodeOne(path.join(dir, file));
      let diff = 0;
      for (let k = 0; k < h5Image.length; k++) diff += Math.abs(h5Image[k] - decoded[k]);
      // The manifest's mean absolute difference is in grey levels; decoders differ by about one.
      expect(Math.abs(diff / h5Image.length - Number(recordedDiff))).toBeLessThan(1);
    }
  });
});

/** One JPEG, through the folder reader (a folder holding just that file). */
function decodeOne(file: string): Uint8Array {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'labgrade-jpeg-'));
  copyFileSync(file, path.join(dir, path.basename(file)));
  return readSignsJpegs([dir]).x;
}

describe('SIGNS loaders, bad input', () => {
  test('a missing file, a corrupt h5, a file without the keys, an empty folder and a badly named JPEG get clear errors', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'labgrade-signs-'));
    expect(() => readSignsH5(path.join(dir, 'test_signs.h5'), 'test')).toThrow(/test_signs\.h5 does not exist \(expected the course's test_signs\.h5\)/);
    writeFileSync(path.join(dir, 'corrupt.h5'), 'this is not HDF5');
    expect(() => readSignsH5(path.join(dir, 'corrupt.h5'), 'test')).toThrow(DatasetError);
    expect(() => readSignsH5(path.join(dir, 'corrupt.h5'), 'test')).toThrow(/corrupt\.h5 is not a readable HDF5 file/);
    expect(() => readSignsJpegs([dir])).toThrow(/holds no \.jpg files/);
    writeFileSync(path.join(dir, 'hand.jpg'), 'x');
    expect(() => readSignsJpegs([dir])).toThrow(/hand\.jpg: the name must start with its label/);
    const broken = mkdtempSync(path.join(os.tmpdir(), 'labgrade-signs-'));
    writeFileSync(path.join(broken, '3_broken.jpg'), 'not a jpeg');
    expect(() => readSignsJpegs([broken])).toThrow(/3_broken\.jpg is not a readable JPEG/);
    expect(() => readSignsJpegs([path.join(dir, 'missing')])).toThrow(/is not a folder/);
    expect(() => loadSigns(dir)).toThrow(/signs does not exist: point --data or LABGRADE_DATA/);
    const h5 = sharedFile('datasets/signs/test_signs.h5');
    if (h5) expect(() => readSignsH5(h5, 'train')).toThrow(/has no dataset "train_set_x" \(it has list_classes, test_set_x, test_set_y\)/);
  });
});

describe('helpers', () => {
  test('convertToOneHot is the course\'s np.eye(C)[Y].T', () => {
    expect(Array.from(convertToOneHot([2, 0], 3))).toEqual([0, 0, 1, 1, 0, 0]);
  });

  test('miniBatchIndices follow np.random.seed(3); permutation(1080), 16 full batches of 64 and one of 56', () => {
    const batches = miniBatchIndices(1080, 64, 3);
    expect(batches.map((b) => b.length)).toEqual([...Array(16).fill(64), 56]);
    // numpy 2.4.6: np.random.seed(3); p = np.random.permutation(1080); p[:8], p[-3:]
    expect(batches[0].slice(0, 8)).toEqual([427, 871, 328, 529, 533, 263, 73, 358]);
    expect(batches[16].slice(-3)).toEqual([256, 968, 952]);
    expect(new Set(batches.flat()).size).toBe(1080);
  });
});
