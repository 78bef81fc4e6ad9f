/**
 * A model evaluator's job (in its own sandboxed process, never the grading process): builds the
 * course architecture from labgrade's own topology (sent by the grading process), loads the
 * weights of a trained-model file into it, and counts the images of each set it classifies right.
 * A file that does not fit is rejected with the reason.
 */
import type * as tfType from '@tensorflow/tfjs';
import type { LabelledImages, ModelFileBytes, Scores } from '../sandbox/protocol.js';
import { readKerasWeights } from './keras-h5.js';
import { expectedWeights, ModelFileError, readTfjsWeights, setTrainedWeights } from './trained-weights.js';
import { countCorrect } from './evaluate-signs.js';

export async function evaluateModelFile(tf: typeof tfType, file: ModelFileBytes, architecture: string, sets: Record<string, LabelledImages>): Promise<{ scores: Scores } | { rejected: string }> {
  const model = (await tf.models.modelFromJSON(JSON.parse(architecture))) as tfType.LayersModel;
  try {
    const expected = expectedWeights(model);
    const weights = file.format === 'keras-h5' ? readKerasWeights(file.bytes, file.name, expected) : readTfjsWeights(file.modelJson, file.weights, file.name, expected);
    setTrainedWeights(tf, model, weights);
    const scores: Scores = {};
    for (const [name, set] of Object.entries(sets)) scores[name] = { correct: await countCorrect(tf, model, set), total: set.m };
    return { scores };
  } catch (err) {
    if (err instanceof ModelFileError) return { rejected: err.message };
    throw err;
  } finally {
    model.dispose();
  }
}
