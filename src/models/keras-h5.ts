/**
 * Keras 2 HDF5 weights files (what `model.save_weights('x.h5')` and the course's `ResNet50.h5`
 * hold), read with jsfive and loaded into a tfjs model by layer name: one group per layer, holding
 * datasets named in its `weight_names` attribute (`conv1/kernel:0`, `bn_conv1/moving_mean:0`, ...).
 * A full-model file keeps the same layout under `model_weights/`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import * as hdf5 from 'jsfive';
import type * as tfType from '@tensorflow/tfjs';
import { UsageError } from '../errors.js';

export class ModelFileError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFileError';
  }
}

export interface StoredWeight {
  /** The weight's own name within its layer: kernel, bias, gamma, beta, moving_mean, moving_variance. */
  name: string;
  shape: number[];
  values: Float32Array;
}

/** Every layer's weights, by layer name. */
export type LayerWeights = Map<string, StoredWeight[]>;

/** ResNet50's Keras weights are 95 MB; anything far larger is not a lab model. */
const MAX_WEIGHTS_FILE_BYTES = 256 << 20;

/** HDF5 fixed-length strings arrive padded with NULs. */
const clean = (s: unknown) => String(s).replace(/\0+$/, '');

interface H5Group {
  keys: string[];
  attrs: Record<string, unknown>;
  get(path: string): unknown;
}

export function readKerasWeights(file: string): LayerWeights {
  if (!existsSync(file)) throw new ModelFileError(`${file} does not exist`);
  if (statSync(file).size > MAX_WEIGHTS_FILE_BYTES) throw new ModelFileError(`${file} is larger than ${MAX_WEIGHTS_FILE_BYTES >> 20} MB: not a lab model's weights`);
  const bytes = readFileSync(file);
  let root: H5Group;
  try {
    root = new hdf5.File(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, path.basename(file)) as unknown as H5Group;
  } catch (err) {
    throw new ModelFileError(`${file} is not a readable HDF5 file (${(err as Error)?.message ?? String(err)})`);
  }
  const base = root.keys.includes('model_weights') ? (root.get('model_weights') as H5Group) : root;
  const layerNames = Array.isArray(base.attrs.layer_names) ? (base.attrs.layer_names as unknown[]).map(clean) : base.keys;
  const layers: LayerWeights = new Map();
  for (const layerName of layerNames) {
    const group = base.get(layerName) as H5Group | null;
    if (!group) throw new ModelFileError(`${file} lists layer ${layerName} but has no group for it`);
    const names = Array.isArray(group.attrs.weight_names) ? (group.attrs.weight_names as unknown[]).map(clean) : [];
    layers.set(
      layerName,
      names.map((full) => {
        const dataset = group.get(full) as { shape: number[]; value: ArrayLike<number> } | null;
        if (!dataset?.shape) throw new ModelFileError(`${file}: layer ${layerName} names weight ${full}, which it does not hold`);
        return { name: full.split('/').pop()!.replace(/:\d+$/, ''), shape: dataset.shape, values: Float32Array.from(dataset.value) };
      }),
    );
  }
  if (![...layers.values()].some((w) => w.length > 0)) throw new ModelFileError(`${file} holds no layer weights (expected a Keras weights file: one group per layer with a weight_names attribute)`);
  return layers;
}

const sameShape = (a: readonly (number | null)[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Sets every weight of `model` from `stored`, matching layers by name and weights by their own
 * name. The first layer that does not fit (missing from the file, a weight missing, another
 * shape) is named in the error, with what the model expects and what the file has.
 */
export function loadWeightsByName(tf: typeof tfType, model: tfType.LayersModel, stored: LayerWeights, source: string): { layers: number; weights: number } {
  let count = 0;
  let layerCount = 0;
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const fromFile = stored.get(layer.name);
    if (!fromFile) {
      throw new ModelFileError(`${source} does not fit the model: it has no weights for layer "${layer.name}" (${layer.getClassName()}); its layers are named like ${[...stored.keys()].slice(0, 3).join(', ')}, …`);
    }
    const values = layer.weights.map((w) => {
      const own = w.originalName.split('/').pop()!;
      const match = fromFile.find((s) => s.name === own);
      if (!match) throw new ModelFileError(`${source} does not fit the model: layer "${layer.name}" has no weight "${own}" in the file (it has ${fromFile.map((s) => s.name).join(', ')})`);
      if (!sameShape(w.shape, match.shape)) {
        throw new ModelFileError(`${source} does not fit the model: layer "${layer.name}" ${own} is [${match.shape.join(', ')}] in the file, but [${w.shape.join(', ')}] in the model`);
      }
      return tf.tensor(match.values, match.shape);
    });
    layer.setWeights(values);
    tf.dispose(values);
    count += values.length;
    layerCount++;
  }
  return { layers: layerCount, weights: count };
}
