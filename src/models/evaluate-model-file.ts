/**
 * A model evaluator's job (in its own sandboxed process, never the grading process): builds the
 * course architecture from labgrade's own topology (sent by the grading process), loads the
 * weights of a trained-model file into it, and counts the images of each set it classifies right.
 * A file that does not fit is rejected with the reason. The weights as loaded, in the
 * architecture's order, are hashed too: the same weights saved another way (Keras or tfjs, other
 * names, other file layout) hash the same, so a class run can tell the course's published weights,
 * or a classmate's, from a model of one's own. A hash misses a copy with one bit changed, so a
 * sample of the kernels' values goes with it, for correlating (weights-sample.ts).
 */
import { createHash } from 'node:crypto';
import type * as tfType from '@tensorflow/tfjs';
import type { LabelledImages } from '../data/signs-arrays.js';
import { readKerasWeights } from './keras-h5.js';
import { expectedWeights, ModelFileError, readTfjsWeights, setTrainedWeights } from './trained-weights.js';
import { countCorrect } from './evaluate-signs.js';
import { CHANNEL_NORMS_SIZE, NORMS_PER_KERNEL, samplePositions, WEIGHTS_SAMPLE_SIZE } from './weights-sample.js';

export async function evaluateModelFile(tf: typeof tfType, file: ModelFileBytes, architecture: string, sets: Record<string, LabelledImages>): Promise<({ scores: Scores } & WeightsFingerprint) | { rejected: string }> {
  const model = (await tf.models.modelFromJSON(JSON.parse(architecture))) as tfType.LayersModel;
  try {
    const expected = expectedWeights(model);
    const weights = file.format === 'keras-h5' ? readKerasWeights(file.bytes, file.name, expected) : readTfjsWeights(file.modelJson, file.weights, file.name, expected);
    setTrainedWeights(tf, model, weights);
    const scores: Scores = {};
    for (const [name, set] of Object.entries(sets)) scores[name] = { correct: await countCorrect(tf, model, set), total: set.m };
    return { scores, ...(await weightsFingerprint(model)) };
  } catch (err) {
    if (err instanceof ModelFileError) return { rejected: err.message };
    throw err;
  } finally {
    model.dispose();
  }
}

export interface WeightsFingerprint {
  weightsSha256: string;
  weightsSample: number[];
  channelNorms: number[];
}


/** A model file's bytes as the parent read them from the submission (never a path: the child reads no files of the submission). */
export type ModelFileBytes =
  | { format: 'keras-h5'; name: string; bytes: Uint8Array }
  | { format: 'tfjs'; name: string; modelJson: Uint8Array; weights: Record<string, Uint8Array> };

/** An evaluator's scores: how many of each set's images the model got right. */
export type Scores = Record<string, { correct: number; total: number }>;

/**
 * Each output channel's L2 norm over everything feeding it (the kernel's last axis is the output),
 * over the kernel's mean channel norm: a kernel scaled as a whole keeps its profile (the batch
 * normalization after a convolution undoes any factor; the predicted class ignores a positive one
 * on the last layer).
 */
function sortedChannelNorms(values: Float32Array, outputs: number): number[] {
  const squares = new Float64Array(outputs);
  for (let i = 0; i < values.length; i++) squares[i % outputs] += values[i] * values[i];
  const norms = Array.from(squares, Math.sqrt);
  const mean = norms.reduce((sum, n) => sum + n, 0) / outputs;
  const profile = norms.map((n) => (mean > 0 ? n / mean : 0)).sort((a, b) => a - b);
  return samplePositions(outputs, NORMS_PER_KERNEL).map((p) => profile[p]);
}

/**
 * The sha256 of a model's weights, in its own order, as float32 bytes; a sample of its kernels'
 * values (convolutions and the dense layer: batch normalization's scales and variances are
 * positive in every model, so they would make unrelated models look alike); and each kernel's
 * channel norms, sorted, which reordering a block's channels (the same function, other positions)
 * leaves as they are. Read asynchronously: webgpu cannot read synchronously in Node.
 */
export async function weightsFingerprint(model: tfType.LayersModel): Promise<WeightsFingerprint> {
  const hash = createHash('sha256');
  const kernels: Float32Array[] = [];
  const channelNorms: number[] = [];
  for (const weight of model.weights) {
    const values = (await weight.read().data()) as Float32Array;
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    if (weight.shape.length >= 2) {
      kernels.push(values);
      channelNorms.push(...sortedChannelNorms(values, weight.shape[weight.shape.length - 1]!));
    }
  }
  const positions = samplePositions(kernels.reduce((n, k) => n + k.length, 0), WEIGHTS_SAMPLE_SIZE);
  const sample: number[] = [];
  let offset = 0;
  let next = 0;
  for (const kernel of kernels) {
    while (next < positions.length && positions[next] < offset + kernel.length) sample.push(kernel[positions[next++] - offset]);
    offset += kernel.length;
  }
  return { weightsSha256: hash.digest('hex'), weightsSample: sample, channelNorms: channelNorms.slice(0, CHANNEL_NORMS_SIZE) };
}
