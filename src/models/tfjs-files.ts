/**
 * tfjs's own model format on disk (model.json + weights.bin), written without tfjs-node: the plain
 * tfjs package has no file:// handler in Node. (Reading one is a model evaluator's job: trained-weights.ts.)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type * as tfType from '@tensorflow/tfjs';

/** Writes a model's artifacts (as model.save() hands them over) as model.json + weights.bin in `dir`. */
export function writeTfjsModelFiles(dir: string, artifacts: { modelTopology?: unknown; weightSpecs?: tfType.io.WeightsManifestEntry[]; weightData?: unknown }, generatedBy: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(artifacts.weightData as ArrayBuffer));
  const manifest = { format: 'layers-model', generatedBy, modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }] };
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify(manifest));
  return path.join(dir, 'model.json');
}
