/**
 * tfjs's own model format on disk (model.json + weight files), read and written without
 * tfjs-node: the plain tfjs package has no file:// handler in Node.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import { ModelFileError } from './keras-h5.js';

interface WeightsManifestGroup {
  paths: string[];
  weights: tfType.io.WeightsManifestEntry[];
}

/** Loads a layers model from model.json (or a folder holding one) and the weight files it lists. */
export async function loadTfjsModelFiles(tf: typeof tfType, location: string): Promise<tfType.LayersModel> {
  const file = existsSync(location) && statSync(location).isDirectory() ? path.join(location, 'model.json') : location;
  if (!existsSync(file)) throw new ModelFileError(`${file} does not exist`);
  let json: { modelTopology?: object; weightsManifest?: WeightsManifestGroup[]; format?: string };
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ModelFileError(`${file} is not JSON: ${(err as Error).message}`);
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new ModelFileError(`${file} is not a tfjs layers model (it needs modelTopology and weightsManifest, as model.save() writes them)`);
  }
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  const buffers = json.weightsManifest.flatMap((g) =>
    g.paths.map((p) => {
      const weightsFile = path.resolve(path.dirname(file), p);
      if (path.relative(path.dirname(file), weightsFile).startsWith('..')) throw new ModelFileError(`${file} lists a weights file outside its folder: ${p}`);
      if (!existsSync(weightsFile)) throw new ModelFileError(`${file} lists ${p}, which does not exist`);
      return readFileSync(weightsFile);
    }),
  );
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  try {
    return await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }));
  } catch (err) {
    throw new ModelFileError(`${file} could not be loaded: ${(err as Error).message}`);
  }
}

/** Saves a layers model as model.json + weights.bin in `dir`. */
export async function saveTfjsModelFiles(model: tfType.LayersModel, dir: string, tf: typeof tfType): Promise<string> {
  mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData as ArrayBuffer;
      writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(data));
      const manifest = { format: 'layers-model', generatedBy: 'labgrade', modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] };
      writeFileSync(path.join(dir, 'model.json'), JSON.stringify(manifest));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return path.join(dir, 'model.json');
}
