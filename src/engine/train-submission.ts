/**
 * `labgrade train`'s workflow: the submission's process builds its ResNet50 and hands over only its
 * topology; a trainer that runs no submitted code rebuilds it, checks it is the course's ResNet50,
 * and trains it with tfjs's own fit and save (training/train-topology.ts); the saved model is then
 * scored as grading scores a submission's. Every process runs sandboxed.
 */
import path from 'node:path';
import type { LabDefinition } from './lab-definition.js';
import type { ModelScores } from '../contract/result.js';
import { isEncodedModel } from '../contract/values.js';
import { english } from '../i18n/messages.js';
import { UsageError } from '../errors.js';
import { bundleSubmission, BundleError } from '../sandbox/bundle.js';
import { DEFAULT_LIMITS, SandboxSession, type SessionOptions } from '../sandbox/session.js';
import { datasetValue } from '../data/dataset-tensors.js';
import { cachedSigns } from '../data/signs.js';
import { loadArchitecture, loadExpected } from '../cases/expected.js';
import type { EpochProgress, TrainedModel, TrainOptions } from '../training/train-model.js';
import { writeTfjsModelFiles } from '../models/tfjs-files.js';
import { openSubmission } from './grade-submission.js';
import { describeOutcomeFailure } from './call-outcomes.js';
import { readTrainedModel, scoreModelFile } from './score-model-file.js';

/** The accuracy the sample report's recipe must reach on the test set. */
export const TRAINED_THRESHOLD = 0.95;

/** ResNet50 training holds activations for a whole batch: more room than a grading call. */
const TRAINER_LIMITS = { ...DEFAULT_LIMITS, heapMb: 2048, rssMb: 8192, startupTimeoutMs: 60_000, messageCapBytes: 512 << 20 };

export interface TrainSubmissionOptions {
  recipe: TrainOptions;
  dataDir: string;
  run: Pick<SessionOptions, 'sandbox' | 'backend'>;
  timeLimitMs: number;
  /** Where resnet50/model.json is saved. */
  out: string;
  /** Score the saved model on the test set (where this labgrade has the course architecture). */
  score: boolean;
  onTrainerStarted(backend: string): void;
  onProgress(p: EpochProgress): void;
}

/** A finished training: the recipe, the curves, the scores of the saved model (null: not scored), and where it was saved. */
export interface TrainingRun {
  recipe: TrainOptions;
  history: Record<string, number[]>;
  reductions: TrainedModel['reductions'];
  scores: ModelScores | null;
  /** Whether the test accuracy reaches TRAINED_THRESHOLD (null: not scored). */
  passed: boolean | null;
  seconds: number;
  /** The backend and its device, in words. */
  backend: string;
  modelPath: string;
}

/** Trains the ResNet50 that `folder`'s lab file builds; what is wrong with the submission is a UsageError saying so. */
export async function trainSubmission(lab: LabDefinition, folder: string, options: TrainSubmissionOptions): Promise<TrainingRun> {
  const { run, dataDir, recipe } = options;
  // A missing or corrupt dataset is reported before any process starts (read once, then cached).
  const { test: testSet } = cachedSigns(dataDir);
  let bundle;
  try {
    bundle = await bundleSubmission(openSubmission(folder), lab.file);
  } catch (err) {
    if (err instanceof BundleError) throw new UsageError(`${lab.file} could not be compiled:\n${err.message}`);
    throw err;
  }
  const started = performance.now();
  // 1. The submission builds its model; only the topology leaves its process. Building reads
  // tensors as grading does, which webgpu cannot: the trainer alone gets it.
  const built = await SandboxSession.start(bundle, { ...run, backend: run.backend === 'webgpu' ? 'auto' : run.backend });
  if (built.kind !== 'loaded') throw new UsageError(`the submission could not be loaded: ${built.kind === 'load-failed' ? `${built.error.name}: ${built.error.message}` : built.reason}`);
  let topology;
  try {
    topology = await built.session.topology('resNet50', 120_000);
  } finally {
    built.session.close();
  }
  if (topology.kind !== 'topology') throw new UsageError(`resNet50 could not build its model: resNet50 ${topology.kind === 'value' ? 'returned a value' : describeOutcomeFailure(topology, true)}`);
  // 2. A trainer rebuilds it, checks it is the course's ResNet50, and trains it.
  const expected = Object.values(loadExpected(lab.id, 'public').cases).map((c) => c.expected).find(isEncodedModel);
  if (!expected) throw new Error('the residual-networks fixtures hold no ResNet50 summary: run `labgrade fixtures generate`');
  const datasets = { 'signs/train/x': datasetValue({ name: 'signs/train/x' }, dataDir), 'signs/train/y': datasetValue({ name: 'signs/train/y' }, dataDir) };
  const trainer = await SandboxSession.startWorker('trainer', { ...run, purpose: 'train', datasets }, TRAINER_LIMITS);
  if ('crashed' in trainer) throw new Error(`the trainer could not start: ${trainer.crashed.reason}`);
  const backend = `${trainer.backend} (${trainer.device})`;
  options.onTrainerStarted(backend);
  let outcome;
  try {
    outcome = await trainer.session.train(topology.topology, expected.$model, recipe, options.timeLimitMs, options.onProgress);
  } finally {
    trainer.session.close();
  }
  if (outcome.kind !== 'trained') throw new UsageError(`training failed: ${outcome.kind === 'threw' ? outcome.error.message : describeOutcomeFailure(outcome as Exclude<typeof outcome, { kind: 'value' }>, true)}`);
  writeTfjsModelFiles(path.join(options.out, 'resnet50'), outcome.trained.artifacts, 'labgrade train');
  // 3. The saved model, scored as grading scores a submission's (where this labgrade has the course architecture: not a student kit).
  const architecture = loadArchitecture(lab.id);
  const saved = readTrainedModel(openSubmission(options.out));
  if (!('model' in saved)) throw new Error(`the saved model could not be read back: ${'problem' in saved ? saved.problem : english(saved.missing)}`);
  const scoring = architecture && options.score ? await scoreModelFile(saved.model, architecture, { test: testSet }, run, 10 * 60_000) : null;
  if (scoring && !('scores' in scoring)) throw new Error(`the saved model could not be scored: ${'rejected' in scoring ? scoring.rejected : scoring.incomplete}`);
  const scores = scoring && 'scores' in scoring ? scoring.scores : null;
  const { history, reductions } = outcome.trained;
  return {
    recipe,
    history,
    reductions,
    scores,
    passed: scores ? scores.test.accuracy >= TRAINED_THRESHOLD : null,
    seconds: (performance.now() - started) / 1000,
    backend,
    modelPath: path.join(options.out, 'resnet50', 'model.json'),
  };
}
