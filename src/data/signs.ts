/**
 * The SIGNS hand-sign dataset (64x64 RGB photos of the digits 0-5), from either form a user may
 * have: the course's HDF5 files (`train_signs.h5` / `test_signs.h5`, read with jsfive), or folders
 * of 64x64 JPEGs named `<label>_*.jpg` (decoded with jpeg-js). Pixels stay uint8 here; scaling to
 * [0, 1] and one-hot labels are done where tensors are made.
 *
 * Order is deterministic: HDF5 images in file order; JPEG folders in the order given, files in
 * each sorted by name (code-unit order).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import * as hdf5 from 'jsfive';
import jpeg from 'jpeg-js';
import { UsageError } from '../errors.js';
import { SIGNS_CHANNELS, SIGNS_CLASSES, SIGNS_SIDE } from './signs-arrays.js';

const IMAGE_BYTES = SIGNS_SIDE * SIGNS_SIDE * SIGNS_CHANNELS;

/** A set of m images, NHWC uint8, with integer labels. */
export interface ImageSet {
  x: Uint8Array;
  y: Int32Array;
  m: number;
  /** Where the images came from (a file or folders), for messages and reports. */
  source: string;
}

/** A dataset file or folder that is missing or not what SIGNS should be; the message names it. */
export class DatasetError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

function h5Dataset(file: hdf5.File, key: string, where: string): { shape: number[]; value: ArrayLike<number> } {
  if (!file.keys.includes(key)) throw new DatasetError(`${where} has no dataset "${key}" (it has ${file.keys.join(', ') || 'none'}); SIGNS files hold <split>_set_x, <split>_set_y and list_classes`);
  const dataset = file.get(key) as unknown as { shape: number[]; value: ArrayLike<number> };
  return { shape: dataset.shape, value: dataset.value };
}

/**
 * Reads `<split>_set_x` (m, 64, 64, 3) uint8 and `<split>_set_y` (m,) from a course HDF5 file; with
 * no split given, from the one `<name>_set_x` the file holds (a held-out set).
 */
export function readSignsH5(file: string, split?: 'train' | 'test'): ImageSet {
  if (!existsSync(file)) throw new DatasetError(`${file} does not exist (expected the course's ${split ?? 'test'}_signs.h5)`);
  const bytes = readFileSync(file);
  let h5: hdf5.File;
  try {
    h5 = new hdf5.File(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, path.basename(file));
  } catch (err) {
    throw new DatasetError(`${file} is not a readable HDF5 file (${(err as Error)?.message ?? String(err)})`);
  }
  const prefix = split ?? h5.keys.find((k) => k.endsWith('_set_x'))?.slice(0, -'_set_x'.length);
  if (prefix === undefined) throw new DatasetError(`${file} has no <name>_set_x dataset (it has ${h5.keys.join(', ') || 'none'}); a SIGNS file holds <name>_set_x and <name>_set_y`);
  const x = h5Dataset(h5, `${prefix}_set_x`, file);
  const y = h5Dataset(h5, `${prefix}_set_y`, file);
  const m = x.shape[0];
  if (x.shape.length !== 4 || x.shape[1] !== SIGNS_SIDE || x.shape[2] !== SIGNS_SIDE || x.shape[3] !== SIGNS_CHANNELS) {
    throw new DatasetError(`${file}: ${prefix}_set_x has shape (${x.shape.join(', ')}), expected (m, 64, 64, 3)`);
  }
  if (y.shape.length !== 1 || y.shape[0] !== m) throw new DatasetError(`${file}: ${prefix}_set_y has shape (${y.shape.join(', ')}), expected (${m},)`);
  const labels = Int32Array.from(y.value);
  const bad = labels.findIndex((l) => !(l >= 0 && l < SIGNS_CLASSES));
  if (bad >= 0) throw new DatasetError(`${file}: label ${labels[bad]} at index ${bad} is not a digit 0-5`);
  return { x: Uint8Array.from(x.value), y: labels, m, source: file };
}

/** Reads every `<label>_*.jpg` of the given folders, in that order, files sorted by name. */
export function readSignsJpegs(dirs: readonly string[]): ImageSet {
  const files = dirs.flatMap((dir) => {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DatasetError(`${dir} is not a folder (expected 64x64 SIGNS JPEGs named <label>_*.jpg)`);
    const jpgs = readdirSync(dir)
      .filter((f) => f.toLowerCase().endsWith('.jpg'))
      .sort();
    if (jpgs.length === 0) throw new DatasetError(`${dir} holds no .jpg files (expected 64x64 SIGNS JPEGs named <label>_*.jpg)`);
    return jpgs.map((f) => path.join(dir, f));
  });
  const x = new Uint8Array(files.length * IMAGE_BYTES);
  const y = new Int32Array(files.length);
  files.forEach((file, i) => {
    const label = Number(path.basename(file)[0]);
    if (!/^[0-5]_/.test(path.basename(file))) throw new DatasetError(`${file}: the name must start with its label, a digit 0-5, and "_"`);
    let image: { width: number; height: number; data: Uint8Array };
    try {
      image = jpeg.decode(readFileSync(file), { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 64 });
    } catch (err) {
      throw new DatasetError(`${file} is not a readable JPEG (${(err as Error).message})`);
    }
    if (image.width !== SIGNS_SIDE || image.height !== SIGNS_SIDE) throw new DatasetError(`${file} is ${image.width}x${image.height}, expected 64x64`);
    // RGBA -> RGB
    for (let p = 0; p < SIGNS_SIDE * SIGNS_SIDE; p++) {
      for (let c = 0; c < SIGNS_CHANNELS; c++) x[i * IMAGE_BYTES + p * SIGNS_CHANNELS + c] = image.data[p * 4 + c];
    }
    y[i] = label;
  });
  return { x, y, m: files.length, source: dirs.join(', ') };
}

export interface SignsData {
  train: ImageSet;
  test: ImageSet;
}

/**
 * SIGNS from a datasets folder: the train set from `signs/train_signs.h5` if present, else from the
 * JPEGs of `signs/jpeg64/train_signs` + `val_signs` (the same 1080 photos); the test set from
 * `signs/test_signs.h5`.
 */
export function loadSigns(root: string): SignsData {
  const signs = path.join(root, 'signs');
  if (!existsSync(signs)) throw new DatasetError(`${signs} does not exist: point --data or LABGRADE_DATA at the folder that holds signs/`);
  const trainH5 = path.join(signs, 'train_signs.h5');
  const train = existsSync(trainH5) ? readSignsH5(trainH5, 'train') : readSignsJpegs([path.join(signs, 'jpeg64', 'train_signs'), path.join(signs, 'jpeg64', 'val_signs')]);
  return { train, test: readSignsH5(path.join(signs, 'test_signs.h5'), 'test') };
}

/**
 * An instructor's held-out images (--holdout): a folder of 64x64 JPEGs named <label>_*.jpg, or
 * holding one HDF5 file with <name>_set_x and <name>_set_y, as the course's files do.
 */
export function readHoldout(dir: string): ImageSet {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DatasetError(`${dir} is not a folder (expected held-out SIGNS images: <label>_*.jpg files, or one .h5 file)`);
  const names = readdirSync(dir);
  if (names.some((f) => f.toLowerCase().endsWith('.jpg'))) return readSignsJpegs([dir]);
  const h5 = names.filter((f) => f.toLowerCase().endsWith('.h5'));
  if (h5.length !== 1) throw new DatasetError(`${dir} holds ${h5.length === 0 ? 'no .jpg or .h5 files' : 'several .h5 files'}: expected 64x64 SIGNS JPEGs named <label>_*.jpg, or one .h5 file with <name>_set_x and <name>_set_y`);
  return readSignsH5(path.join(dir, h5[0]));
}

/** `read(folder)`, read once per folder per process (a class run grades many submissions). */
function cachedPerFolder<T>(read: (folder: string) => T): (folder: string) => T {
  const cache = new Map<string, T>();
  return (folder) => {
    const key = path.resolve(folder);
    if (!cache.has(key)) cache.set(key, read(key));
    return cache.get(key)!;
  };
}

export const cachedSigns = cachedPerFolder(loadSigns);
export const cachedHoldout = cachedPerFolder(readHoldout);
