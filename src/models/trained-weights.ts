/**
 * Trained weights as a model evaluator sees them: what the course architecture expects (layer by
 * layer, each weight's own name and shape), what a file holds for those layers, and loading them.
 * A file's own architecture (a tfjs model.json's topology) is never built: weights are loaded into
 * labgrade's ResNet50, so only a model of the course's architecture can score.
 */
import type * as tfType from '@tensorflow/tfjs';
import { UsageError } from '../errors.js';

/** A model file that is not what it should be; the message names the file (as the submission names it) and what does not fit, never its contents. */
export class ModelFileError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFileError';
  }
}

export interface ExpectedLayer {
  className: string;
  weights: { name: string; shape: number[] }[];
}

/** The layers with weights of a model, in its order, by name. */
export type ExpectedWeights = Map<string, ExpectedLayer>;

export interface StoredWeight {
  /** The weight's own name within its layer: kernel, bias, gamma, beta, moving_mean, moving_variance. */
  name: string;
  shape: number[];
  values: Float32Array;
}

/** Every layer's weights, by layer name. */
export type LayerWeights = Map<string, StoredWeight[]>;

export const sameShape = (a: readonly (number | null)[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** A few names out of a file, for a message: short, printable, at most three. */
export function describeNames(names: readonly string[]): string {
  if (names.length === 0) return 'none';
  const shown = names.slice(0, 3).map((n) => `"${n.replace(/[^\x20-\x7e]/g, '?').slice(0, 40)}"`);
  return `${shown.join(', ')}${names.length > 3 ? ', …' : ''}`;
}

export function expectedWeights(model: tfType.LayersModel): ExpectedWeights {
  return new Map(
    model.layers
      .filter((layer) => layer.weights.length > 0)
      .map((layer) => [layer.name, { className: layer.getClassName(), weights: layer.weights.map((w) => ({ name: w.originalName.split('/').pop()!, shape: w.shape as number[] })) }]),
  );
}

/** Sets every weight of `model` from `stored` (read for exactly these layers). */
/**
 * Sets the weights read from a file on the model's layers. A weight holding NaN or infinity is the
 * file's fault, said as such: it would make every prediction (and the weights' fingerprint) NaN.
 */
export function setTrainedWeights(tf: typeof tfType, model: tfType.LayersModel, stored: LayerWeights): void {
  for (const [layer, weights] of stored) {
    for (const w of weights) if (!w.values.every(Number.isFinite)) throw new ModelFileError(`the weight ${w.name} of layer ${layer} holds values that are not finite (NaN or infinity)`);
  }
  for (const layer of model.layers) {
    const fromFile = stored.get(layer.name);
    if (!fromFile || layer.weights.length === 0) continue;
    const values = fromFile.map((w) => tf.tensor(w.values, w.shape));
    layer.setWeights(values);
    tf.dispose(values);
  }
}

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype?: string;
}

const MAX_MANIFEST_ENTRIES = 4096;

function parseManifest(modelJson: Uint8Array, source: string): { paths: string[]; weights: ManifestEntry[] }[] {
  let json: { weightsManifest?: unknown };
  try {
    json = JSON.parse(Buffer.from(modelJson).toString('utf8'));
  } catch {
    throw new ModelFileError(`${source} is not valid JSON`);
  }
  const manifest = json?.weightsManifest;
  const isEntry = (w: unknown) => {
    const e = w as ManifestEntry;
    return typeof e?.name === 'string' && e.name.length <= 200 && Array.isArray(e.shape) && e.shape.length <= 8 && e.shape.every((d) => Number.isSafeInteger(d) && d >= 0 && d <= 1 << 24);
  };
  if (
    !Array.isArray(manifest) ||
    manifest.length > 64 ||
    !manifest.every((g) => Array.isArray(g?.paths) && g.paths.length <= 64 && g.paths.every((p: unknown) => typeof p === 'string' && p.length <= 200) && Array.isArray(g.weights) && g.weights.length <= MAX_MANIFEST_ENTRIES && g.weights.every(isEntry))
  ) {
    throw new ModelFileError(`${source} is not a tfjs layers model's model.json (it needs a weightsManifest, as model.save() writes it)`);
  }
  if (manifest.reduce((n, g) => n + g.weights.length, 0) > MAX_MANIFEST_ENTRIES) throw new ModelFileError(`${source} lists more than ${MAX_MANIFEST_ENTRIES} weights`);
  return manifest;
}

/**
 * Reads the weights `expected` names from a tfjs model.json and the weight files beside it. The
 * manifest is checked as a whole first: every file listed once and present, float32 only, and the
 * weights' sizes adding up to the files' bytes; then only the expected weights are decoded.
 */
export function readTfjsWeights(modelJson: Uint8Array, files: Readonly<Record<string, Uint8Array>>, source: string, expected: ExpectedWeights): LayerWeights {
  const manifest = parseManifest(modelJson, source);
  const located = new Map<string, { bytes: Uint8Array; offset: number; shape: number[] }>();
  const listed = new Set<string>();
  for (const group of manifest) {
    for (const p of group.paths) {
      const name = p.replace(/^\.\//, '');
      if (listed.has(name)) throw new ModelFileError(`${source} lists the weights file ${describeNames([p])} twice`);
      listed.add(name);
      if (!Object.hasOwn(files, name)) throw new ModelFileError(`${source} lists ${describeNames([p])}, which is not a file in its folder`);
    }
    const bytes = Buffer.concat(group.paths.map((p) => files[p.replace(/^\.\//, '')]));
    let offset = 0;
    for (const w of group.weights) {
      if ((w.dtype ?? 'float32') !== 'float32') throw new ModelFileError(`${source}: weight ${describeNames([w.name])} is ${String(w.dtype).slice(0, 20)}; labgrade reads float32 weights (as model.save() writes them unquantized)`);
      if (located.has(w.name)) throw new ModelFileError(`${source} lists the weight ${describeNames([w.name])} twice`);
      const size = w.shape.reduce((a, b) => a * b, 1) * 4;
      located.set(w.name, { bytes, offset, shape: w.shape });
      offset += size;
      if (offset > bytes.length) throw new ModelFileError(`${source}: its weights files hold ${bytes.length} bytes, fewer than the manifest's weights need`);
    }
    if (offset !== bytes.length) throw new ModelFileError(`${source}: its weights files hold ${bytes.length} bytes, but the manifest's weights take ${offset}`);
  }
  const layers: LayerWeights = new Map();
  for (const [layerName, wanted] of expected) {
    layers.set(
      layerName,
      wanted.weights.map((w) => {
        const found = located.get(`${layerName}/${w.name}`);
        if (!found) {
          const inLayer = [...located.keys()].filter((k) => k.startsWith(`${layerName}/`));
          throw new ModelFileError(
            inLayer.length === 0
              ? `${source} does not fit the model: it has no weights for layer "${layerName}" (${wanted.className}); its weights are named like ${describeNames([...located.keys()])}`
              : `${source} does not fit the model: layer "${layerName}" has no weight "${w.name}" in the file (it has ${describeNames(inLayer)})`,
          );
        }
        if (!sameShape(w.shape, found.shape)) throw new ModelFileError(`${source} does not fit the model: layer "${layerName}" ${w.name} is [${found.shape.join(', ')}] in the file, but [${w.shape.join(', ')}] in the model`);
        const values = new Float32Array(found.shape.reduce((a, b) => a * b, 1));
        Buffer.from(values.buffer).set(found.bytes.subarray(found.offset, found.offset + values.byteLength));
        return { name: w.name, shape: found.shape, values };
      }),
    );
  }
  return layers;
}
