/**
 * A trained model handed in with a submission, scored: its files are read from the submission (by
 * SubmissionFiles' rules) and sent as bytes to a model evaluator, a sandboxed process of its own with
 * the same limits as submitted code, which loads them into the course architecture and counts what
 * it gets right on each set of images. The grading process never parses a model file. `grade`,
 * `labgrade evaluate` and `labgrade train` all score models here.
 */
import type { ImageSetScore, MessageRef, ModelScores } from '../contract/result.js';
import { english, msg } from '../i18n/messages.js';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { SubmissionFileError, SubmissionFiles } from '../submission/submission-files.js';
import { SandboxSession, DEFAULT_LIMITS, type BackendInfo, type SessionOptions, type SandboxLimits } from '../sandbox/session.js';
import type { LabelledImages } from '../data/signs-arrays.js';
import type { ModelFileBytes } from '../models/evaluate-model-file.js';

/** Where a trained model may be: Keras weights, or a tfjs model folder (model.json and its .bin weight files). */
export const KERAS_NAMES = ['resnet50.h5', 'ResNet50.h5'];
export const TFJS_FOLDER = 'resnet50';

/** ResNet50's weights are 94 MB (about three times that with Keras's optimizer state); far larger is not a lab model. */
const MAX_MODEL_BYTES = 320 << 20;
const MAX_MODEL_JSON_BYTES = 16 << 20;
const MAX_WEIGHT_FILES = 64;

/** The evaluator's limits: ResNet50 with its weights twice over (file and model) and 240 images. */
export const EVALUATOR_LIMITS: SandboxLimits = { ...DEFAULT_LIMITS, heapMb: 1536, rssMb: 3072, messageCapBytes: 1 << 20 };

function readKeras(files: SubmissionFiles, name: string): ModelFileBytes {
  return { format: 'keras-h5', name, bytes: files.readBytes(name, MAX_MODEL_BYTES) };
}

/** A tfjs model folder: model.json and the .bin weight files beside it. */
function readTfjsFolder(files: SubmissionFiles, folder: string): ModelFileBytes {
  const prefix = folder === '' ? '' : `${folder}/`;
  const binaries = files.list(folder === '' ? '.' : folder).filter((n) => n.endsWith('.bin'));
  if (binaries.length > MAX_WEIGHT_FILES) throw new SubmissionFileError(msg('file.too-many-weight-files', { folder: folder === '' ? 'root' : folder, max: String(MAX_WEIGHT_FILES) }));
  const modelJson = files.readBytes(`${prefix}model.json`, MAX_MODEL_JSON_BYTES);
  let total = 0;
  const weights: Record<string, Uint8Array> = {};
  for (const name of binaries) {
    weights[name] = files.readBytes(`${prefix}${name}`, MAX_MODEL_BYTES - total);
    total += weights[name].length;
  }
  return { format: 'tfjs', name: `${prefix}model.json`, modelJson, weights };
}

function asProblem(read: () => ModelFileBytes): { model: ModelFileBytes } | { problem: string } {
  try {
    return { model: read() };
  } catch (err) {
    if (err instanceof SubmissionFileError) return { problem: err.message };
    throw err;
  }
}

/** No model file where a submission keeps one. */
export const MISSING_MODEL = msg('trained.missing', { keras: KERAS_NAMES[0], tfjs: `${TFJS_FOLDER}/model.json` });

/** The model file a submission holds, as bytes; `missing` says what was looked for; `problem` why a file there cannot be used. */
export function readTrainedModel(files: SubmissionFiles): { model: ModelFileBytes } | { missing: MessageRef } | { problem: string } {
  const keras = KERAS_NAMES.find((name) => files.has(name));
  if (keras) return asProblem(() => readKeras(files, keras));
  if (!files.list(TFJS_FOLDER).includes('model.json')) {
    return { missing: MISSING_MODEL };
  }
  return asProblem(() => readTfjsFolder(files, TFJS_FOLDER));
}

/** A model named on the command line (`labgrade evaluate`): a Keras .h5 file, a model.json, or a folder holding one; read by the same rules. */
export function readModelAt(location: string): { model: ModelFileBytes } | { problem: string } {
  const resolved = path.resolve(location);
  if (existsSync(resolved) && statSync(resolved).isDirectory()) return asProblem(() => readTfjsFolder(new SubmissionFiles(resolved), ''));
  const files = new SubmissionFiles(path.dirname(resolved));
  const name = path.basename(resolved);
  if (!name.toLowerCase().endsWith('.h5') && name !== 'model.json') return { problem: `${location} is neither a Keras weights file (.h5) nor a tfjs model.json (or a folder holding one)` };
  return asProblem(() => (name.toLowerCase().endsWith('.h5') ? readKeras(files, name) : readTfjsFolder(files, '')));
}

/** `ran`: the evaluator's backend, for a command to say where the model ran. */
export type ModelScoring = { scores: ModelScores; ran: BackendInfo } | { rejected: string } | { incomplete: string };

const score = (s: { correct: number; total: number }): ImageSetScore => ({ ...s, accuracy: s.total ? s.correct / s.total : 0 });

/**
 * Scores a model file on the public test set and, where given, the instructor's held-out images
 * (which then decide). A file the evaluator refuses, or that makes it run out of time or memory,
 * is the file's fault (`rejected`); an evaluator that fails otherwise is labgrade's (`incomplete`).
 */
/** Why a trained model cannot be scored by a labgrade without the course architecture. */
export const NO_ARCHITECTURE_REF = msg('trained.no-architecture');
export const NO_ARCHITECTURE = english(NO_ARCHITECTURE_REF);

export async function scoreModelFile(model: ModelFileBytes, architecture: string, sets: { test: LabelledImages; holdout?: LabelledImages }, run: Pick<SessionOptions, 'sandbox' | 'backend' | 'wasmThreads'>, timeoutMs: number): Promise<ModelScoring> {
  const started = await SandboxSession.startWorker('evaluator', { ...run, purpose: 'train' }, EVALUATOR_LIMITS);
  if ('crashed' in started) return { incomplete: `labgrade could not start its model evaluator (${started.crashed.reason})` };
  try {
    const outcome = await started.session.evaluate(model, architecture, sets.holdout ? { test: sets.test, holdout: sets.holdout } : { test: sets.test }, timeoutMs);
    switch (outcome.kind) {
      case 'evaluated': {
        const test = outcome.scores.test;
        const holdout = outcome.scores.holdout;
        if (!test || (sets.holdout && !holdout)) return { incomplete: 'the model evaluator did not score every set' };
        return { ran: { backend: started.backend, device: started.device, tfjsVersion: started.tfjsVersion, ...(started.passedOver ? { passedOver: started.passedOver } : {}) }, scores: { file: model.name, test: score(test), ...(holdout ? { holdout: score(holdout) } : {}), decidedBy: holdout ? 'holdout' : 'test', weightsSha256: outcome.weightsSha256, weightsSample: outcome.weightsSample, channelNorms: outcome.channelNorms } };
      }
      case 'rejected':
        return { rejected: outcome.reason };
      case 'timeout':
        return { rejected: `${model.name} could not be evaluated within ${(timeoutMs / 1000).toFixed(0)} s` };
      case 'crashed':
        return /memory/.test(outcome.reason) ? { rejected: `${model.name} could not be evaluated: ${outcome.reason}` } : { incomplete: `labgrade's model evaluator failed (${outcome.reason}${outcome.detail ? `: ${outcome.detail}` : ''})` };
      default:
        return { incomplete: `labgrade's model evaluator failed (${outcome.kind === 'threw' ? `${outcome.error.name}: ${outcome.error.message}` : outcome.kind})` };
    }
  } finally {
    started.session.close();
  }
}
