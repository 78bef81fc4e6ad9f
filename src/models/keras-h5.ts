/**
 * Keras 2 HDF5 weights files (what `model.save_weights('x.h5')` and the course's `ResNet50.h5`
 * hold), read with jsfive in a model evaluator: one group per layer, holding datasets named in its
 * `weight_names` attribute (`conv1/kernel:0`, `bn_conv1/moving_mean:0`, ...). A full-model file
 * keeps the same layout under `model_weights/`.
 *
 * Only what the course architecture expects is read, and each dataset is checked before its values
 * are: float32, the expected shape, stored contiguously (as Keras writes weights; chunked or
 * compressed storage is refused, so no chunk or gzip bomb is ever expanded), and read once.
 */
import * as hdf5 from 'jsfive';
import { ModelFileError, describeNames, sameShape, type ExpectedWeights, type LayerWeights } from './trained-weights.js';

/** HDF5 fixed-length strings arrive padded with NULs. */
const clean = (s: unknown) => String(s).replace(/\0+$/, '');

interface H5Group {
  keys: string[];
  attrs: Record<string, unknown>;
  get(path: string): unknown;
}

interface H5Dataset {
  name: string;
  shape: number[];
  dtype: unknown;
  value: ArrayLike<number>;
  _dataobjects: { chunks: unknown; filter_pipeline: unknown };
}

function open(bytes: Uint8Array, source: string): H5Group {
  try {
    return new hdf5.File(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, source) as unknown as H5Group;
  } catch {
    throw new ModelFileError(`${source} is not a readable HDF5 file`);
  }
}

/** jsfive reports some malformed structures by throwing strings; any of them is the file's fault. */
function inFile<T>(source: string, what: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ModelFileError) throw err;
    throw new ModelFileError(`${source}: ${what} could not be read (the file is damaged or not a Keras weights file)`);
  }
}

/** Reads the weights `expected` names from a Keras weights file's bytes. */
export function readKerasWeights(bytes: Uint8Array, source: string, expected: ExpectedWeights): LayerWeights {
  const root = open(bytes, source);
  const base = inFile(source, 'its root group', () => (root.keys.includes('model_weights') ? (root.get('model_weights') as H5Group) : root));
  const layerNames = inFile(source, 'its layer names', () => new Set(Array.isArray(base.attrs.layer_names) ? (base.attrs.layer_names as unknown[]).map(clean) : base.keys));
  const read = new Set<string>();
  const layers: LayerWeights = new Map();
  for (const [layerName, wanted] of expected) {
    if (!layerNames.has(layerName)) {
      throw new ModelFileError(`${source} does not fit the model: it has no weights for layer "${layerName}" (${wanted.className}); its layers are named like ${describeNames([...layerNames])}`);
    }
    const group = inFile(source, `layer ${layerName}`, () => base.get(layerName) as H5Group | null);
    if (!group) throw new ModelFileError(`${source} lists layer "${layerName}" but has no group for it`);
    const names = inFile(source, `layer ${layerName}'s weight names`, () => (Array.isArray(group.attrs.weight_names) ? (group.attrs.weight_names as unknown[]).map(clean) : []));
    const byOwnName = new Map<string, string>();
    for (const full of names.slice(0, 64)) {
      const own = full.split('/').pop()!.replace(/:\d+$/, '');
      if (byOwnName.has(own)) throw new ModelFileError(`${source}: layer "${layerName}" names its weight "${own.slice(0, 40)}" twice`);
      byOwnName.set(own, full);
    }
    layers.set(
      layerName,
      wanted.weights.map((w) => {
        const full = byOwnName.get(w.name);
        if (!full) throw new ModelFileError(`${source} does not fit the model: layer "${layerName}" has no weight "${w.name}" in the file (it has ${describeNames([...byOwnName.keys()])})`);
        const dataset = inFile(source, `weight ${layerName}/${w.name}`, () => group.get(full) as H5Dataset | null);
        if (!dataset?.shape) throw new ModelFileError(`${source}: layer "${layerName}" names weight "${w.name}", which it does not hold`);
        const shape = inFile(source, `weight ${layerName}/${w.name}`, () => [...dataset.shape]);
        if (!sameShape(w.shape, shape)) {
          throw new ModelFileError(`${source} does not fit the model: layer "${layerName}" ${w.name} is [${shape.slice(0, 8).join(', ')}] in the file, but [${w.shape.join(', ')}] in the model`);
        }
        const storage = inFile(source, `weight ${layerName}/${w.name}`, () => ({ dtype: dataset.dtype, chunks: dataset._dataobjects.chunks, filters: dataset._dataobjects.filter_pipeline, name: dataset.name }));
        if (storage.dtype !== '<f4') throw new ModelFileError(`${source}: layer "${layerName}" ${w.name} is not stored as float32`);
        if (storage.chunks != null || storage.filters != null) throw new ModelFileError(`${source}: layer "${layerName}" ${w.name} is stored chunked or compressed; labgrade reads weights stored as Keras writes them (contiguous, uncompressed)`);
        if (read.has(storage.name)) throw new ModelFileError(`${source}: two weights point at one dataset (${layerName}/${w.name})`);
        read.add(storage.name);
        const values = inFile(source, `weight ${layerName}/${w.name}`, () => Float32Array.from(dataset.value));
        return { name: w.name, shape, values };
      }),
    );
  }
  return layers;
}
