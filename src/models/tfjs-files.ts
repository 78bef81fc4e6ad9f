/**
 * tfjs's own model format on disk (model.json + weight files), read and written without
 * tfjs-node: the plain tfjs package has no file:// handler in Node.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import { ModelFileError } from './keras-h5.js';

interface WeightsManifestGroup {
  paths: string[];
  weights: tfType.io.WeightsManifestEntry[];
}

/** ResNet50's weights are 94 MB; anything far larger is not a lab model. */
const MAX_MODEL_JSON_BYTES = 16 << 20;
const MAX_WEIGHTS_BYTES = 256 << 20;

function isManifest(v: unknown): v is WeightsManifestGroup[] {
  return (
    Array.isArray(v) &&
    v.every(
      (g) =>
        typeof g === 'object' && g !== null && Array.isArray(g.paths) && g.paths.every((p: unknown) => typeof p === 'string') && Array.isArray(g.weights) && g.weights.every((w: unknown) => typeof w === 'object' && w !== null),
    )
  );
}

/** Loads a layers model from model.json (or a folder holding one) and the weight files it lists. */
export async function loadTfjsModelFiles(tf: typeof tfType, location: string): Promise<tfType.LayersModel> {
  const file = existsSync(location) && statSync(location).isDirectory() ? path.join(location, 'model.json') : location;
  if (!existsSync(file)) throw new ModelFileError(`${file} does not exist`);
  if (statSync(file).size > MAX_MODEL_JSON_BYTES) throw new ModelFileError(`${file} is larger than ${MAX_MODEL_JSON_BYTES >> 20} MB: not a model.json`);
  let json: { modelTopology?: object; weightsManifest?: unknown };
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    // The parser's message quotes the file; it stays out of reports.
    throw new ModelFileError(`${path.basename(file)} is not valid JSON`);
  }
  if (typeof json !== 'object' || json === null || typeof json.modelTopology !== 'object' || !isManifest(json.weightsManifest)) {
    throw new ModelFileError(`${path.basename(file)} is not a tfjs layers model (it needs modelTopology and weightsManifest, as model.save() writes them)`);
  }
  const folder = path.dirname(file);
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  let total = 0;
  const buffers = json.weightsManifest.flatMap((g) =>
    g.paths.map((p) => {
      const weightsFile = path.resolve(folder, p);
      const relative = path.relative(realpathSync(folder), existsSync(weightsFile) ? realpathSync(weightsFile) : weightsFile);
      if (relative.startsWith('..') || path.isAbsolute(relative)) throw new ModelFileError(`${path.basename(file)} lists a weights file outside its folder: ${p}`);
      if (!existsSync(weightsFile)) throw new ModelFileError(`${path.basename(file)} lists ${p}, which does not exist`);
      total += statSync(weightsFile).size;
      if (total > MAX_WEIGHTS_BYTES) throw new ModelFileError(`${path.basename(file)} lists more than ${MAX_WEIGHTS_BYTES >> 20} MB of weights: not a lab model`);
      return readFileSync(weightsFile);
    }),
  );
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  try {
    return await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }));
  } catch (err) {
    throw new ModelFileError(`${path.basename(file)} could not be loaded: ${String((err as Error)?.message ?? err).split('\n')[0].slice(0, 300)}`);
  }
}

/** Writes a model's artifacts (as model.save() hands them over) as model.json + weights.bin in `dir`. */
export function writeTfjsModelFiles(dir: string, artifacts: { modelTopology?: unknown; weightSpecs?: tfType.io.WeightsManifestEntry[]; weightData?: unknown }, generatedBy: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(artifacts.weightData as ArrayBuffer));
  const manifest = { format: 'layers-model', generatedBy, modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }] };
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify(manifest));
  return path.join(dir, 'model.json');
}

/** Saves a layers model as model.json + weights.bin in `dir`. */
export async function saveTfjsModelFiles(model: tfType.LayersModel, dir: string, tf: typeof tfType): Promise<string> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      writeTfjsModelFiles(dir, artifacts, 'labgrade');
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return path.join(dir, 'model.json');
}
