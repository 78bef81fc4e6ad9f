/**
 * `labgrade train residual-networks <submission>`: trains the submission's ResNet50 with the sample
 * report's recipe (Adam 1e-3, batch 32, validation split 0.1, ReduceLROnPlateau(0.2, 5, 1e-5), up to
 * 50 epochs), shows progress, saves the model in tfjs format, writes the learning curves, and scores
 * the saved model as grading does. The submission's process only builds the model and hands over
 * its topology; a trainer that runs no submitted code rebuilds it, checks it is the course's
 * ResNet50, and trains it with tfjs's own fit and save (train-topology.ts). Both run sandboxed.
 */
import { english } from '../../i18n/messages.js';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { findLab } from '../../../graders/index.js';
import { bandVerdicts } from '../../../graders/residual-networks.js';
import { bundleSubmission, BundleError } from '../../sandbox/bundle.js';
import { DEFAULT_LIMITS, SandboxSession } from '../../sandbox/session.js';
import { describeOutcomeFailure } from '../../engine/grade-lab.js';
import { isEncodedModel } from '../../contract/values.js';
import { openSubmission } from '../../engine/grade-submission.js';
import { parseBackendChoice } from '../../backends/choice.js';
import { datasetsDir } from '../../data/datasets-dir.js';
import { cachedSigns } from '../../data/signs.js';
import { datasetValue } from '../../data/dataset-tensors.js';
import { loadArchitecture, loadExpected } from '../../cases/expected.js';
import { SAMPLE_REPORT_RECIPE, type EpochProgress, type TrainedModel, type TrainOptions } from '../../training/train-model.js';
import { writeTfjsModelFiles } from '../../models/tfjs-files.js';
import { NO_ARCHITECTURE, readTrainedModel, scoreModelFile } from '../../engine/score-model-file.js';
import type { ModelScores } from '../../contract/result.js';
import { learningCurvesSpec, renderSvg } from '../../report/charts.js';
import { UsageError } from '../../errors.js';
import { chooseSandbox } from '../sandbox-choice.js';

/** The accuracy the sample report's recipe must reach on the test set. */
export const TRAINED_THRESHOLD = 0.95;

interface TrainCommandOptions {
  out: string;
  epochs?: string;
  batchSize?: string;
  subset?: string;
  data?: string;
  backend: string;
  sandbox?: string;
  timeLimit: string;
  score: boolean;
}

function positiveInt(text: string | undefined, name: string, fallback?: number): number | undefined {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a positive integer, got "${text}"`);
  return n;
}

/** One line per epoch in logs; a redrawn bar on a terminal. */
function progressPrinter(): (p: EpochProgress) => void {
  const tty = process.stdout.isTTY === true;
  return (p) => {
    const metrics = Object.entries(p.logs)
      .map(([k, v]) => `${k} ${v.toFixed(4)}`)
      .join(', ');
    const done = p.batch === p.batches;
    if (tty) {
      const width = 24;
      const filled = Math.round((width * p.batch) / p.batches);
      process.stdout.write(`\repoch ${p.epoch + 1}/${p.epochs} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.batch}/${p.batches} ${metrics}${done ? '\n' : ''}`);
    } else if (done && 'val_loss' in p.logs) {
      process.stdout.write(`epoch ${p.epoch + 1}/${p.epochs}: ${metrics}\n`);
    }
  };
}

function trainingMarkdown(summary: { options: TrainOptions; history: Record<string, number[]>; reductions: TrainedModel['reductions']; scores: ModelScores | null; passed: boolean | null; seconds: number; backend: string }, notScored: string): string {
  const h = summary.history;
  const columns = Object.keys(h);
  const epochs = h[columns[0]]?.length ?? 0;
  const rows = Array.from({ length: epochs }, (_, i) => {
    const lr = summary.reductions.find((r) => r.epoch === i);
    return `| ${i + 1} | ${columns.map((c) => h[c][i].toFixed(4)).join(' | ')} | ${lr ? `→ ${lr.learningRate.toExponential(1)}` : ''} |`;
  });
  const test = summary.scores?.test;
  return [
    '# ResNet50 training',
    '',
    `Recipe: Adam ${summary.options.learningRate}, batch ${summary.options.batchSize}, validation split ${summary.options.validationSplit}, ReduceLROnPlateau(factor ${summary.options.plateau.factor}, patience ${summary.options.plateau.patience}, min ${summary.options.plateau.minLr}), ${summary.options.epochs} epochs${summary.options.subset ? ` on ${summary.options.subset} images (smoke run)` : ''}; ${summary.backend}, ${summary.seconds.toFixed(1)} s.`,
    '',
    test
      ? `Test accuracy (120 SIGNS test images, measured on the saved model as grading measures it): **${test.accuracy.toFixed(4)}** (${test.correct} of ${test.total}), ${summary.passed ? 'reaches' : 'is below'} ${TRAINED_THRESHOLD}.`
      : `Not scored: ${notScored}.`,
    '',
    'Training depends on chance (the initial weights, the shuffles): another run of the same code may land a little higher or lower.',
    '',
    '![loss per epoch](loss.svg) ![accuracy per epoch](accuracy.svg)',
    '',
    `| epoch | ${columns.join(' | ')} | learning rate |`,
    `| --- | ${columns.map(() => '---').join(' | ')} | --- |`,
    ...rows,
    '',
  ].join('\n');
}

/** ResNet50 training holds activations for a whole batch: more room than a grading call. */
const TRAINER_LIMITS = { ...DEFAULT_LIMITS, heapMb: 2048, rssMb: 8192, startupTimeoutMs: 60_000, messageCapBytes: 512 << 20 };

export function registerTrain(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('train')
    .description('train a submission\'s ResNet50 (lab residual-networks) with the sample report\'s recipe, save it, and score it as grading does')
    .argument('<lab>', 'residual-networks')
    .argument('<submission>', 'the submission folder or its residual-networks.ts')
    .requiredOption('--out <dir>', 'folder for resnet50/model.json, training.json, training.md and the learning curves')
    .option('--epochs <n>', `epochs (default ${SAMPLE_REPORT_RECIPE.epochs})`)
    .option('--batch-size <n>', `batch size (default ${SAMPLE_REPORT_RECIPE.batchSize})`)
    .option('--subset <n>', 'train on this many images only (a quick smoke run on the CPU)')
    .option('--data <dir>', "datasets folder holding signs/ (default: $LABGRADE_DATA, else the shared folder's datasets/)")
    .option('--backend <name>', 'tfjs backend (auto, webgpu, wasm, cpu)', 'auto')
    .option('--sandbox <kind>', 'bwrap (default) or node')
    .option('--time-limit <minutes>', 'stop the training after this long', '240')
    .option('--no-score', 'save the trained model without scoring it on the test set (a smoke run: scoring ResNet50 on a CPU Vulkan driver takes minutes)')
    .action(async (labId: string, submission: string, options: TrainCommandOptions) => {
      const lab = findLab(labId === 'resnets' ? 'residual-networks' : labId);
      if (lab?.id !== 'residual-networks') throw new UsageError(`labgrade trains the Residual Networks lab's ResNet50 only (lab "residual-networks"), not "${labId}"`);
      const folder = existsSync(submission) && statSync(submission).isDirectory() ? submission : path.dirname(submission);
      if (!existsSync(path.join(folder, lab.file))) throw new UsageError(`${path.join(folder, lab.file)} does not exist`);
      const recipe: TrainOptions = {
        ...SAMPLE_REPORT_RECIPE,
        epochs: positiveInt(options.epochs, '--epochs', SAMPLE_REPORT_RECIPE.epochs)!,
        batchSize: positiveInt(options.batchSize, '--batch-size', SAMPLE_REPORT_RECIPE.batchSize)!,
        subset: positiveInt(options.subset, '--subset'),
      };
      const minutes = positiveInt(options.timeLimit, '--time-limit')!;
      const dataDir = datasetsDir(options.data);
      const { test: testSet } = cachedSigns(dataDir); // a missing or corrupt dataset is reported before anything starts
      const sandbox = chooseSandbox(options.sandbox, 'grade', [folder]);
      const run = { sandbox: sandbox.kind, backend: parseBackendChoice(options.backend) };
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
      process.stdout.write(`Training resNet50 from ${path.join(folder, lab.file)} on ${trainer.backend} (${trainer.device})\n`);
      let outcome;
      try {
        outcome = await trainer.session.train(topology.topology, expected.$model, recipe, minutes * 60_000, progressPrinter());
      } finally {
        trainer.session.close();
      }
      if (outcome.kind !== 'trained') throw new UsageError(`training failed: ${outcome.kind === 'threw' ? outcome.error.message : describeOutcomeFailure(outcome as Exclude<typeof outcome, { kind: 'value' }>, true)}`);
      const out = path.resolve(options.out);
      writeTfjsModelFiles(path.join(out, 'resnet50'), outcome.trained.artifacts, 'labgrade train');
      // 3. The saved model, scored as grading scores a submission's (where this labgrade has the course architecture: not a student kit).
      const architecture = loadArchitecture(lab.id);
      const saved = readTrainedModel(openSubmission(out));
      if (!('model' in saved)) throw new Error(`the saved model could not be read back: ${'problem' in saved ? saved.problem : english(saved.missing)}`);
      const scoring = architecture && options.score ? await scoreModelFile(saved.model, architecture, { test: testSet }, run, 10 * 60_000) : null;
      if (scoring && !('scores' in scoring)) throw new Error(`the saved model could not be scored: ${'rejected' in scoring ? scoring.rejected : scoring.incomplete}`);
      const scores = scoring && 'scores' in scoring ? scoring.scores : null;
      const passed = scores ? scores.test.accuracy >= TRAINED_THRESHOLD : null;
      const seconds = (performance.now() - started) / 1000;
      const { history, reductions } = outcome.trained;
      const summary = { options: recipe, history, reductions, scores, passed, seconds, backend: `${trainer.backend} (${trainer.device})` };
      writeFileSync(path.join(out, 'training.json'), `${JSON.stringify({ ...summary, threshold: TRAINED_THRESHOLD, bands: scores ? bandVerdicts(scores).map((v) => ({ band: v.idSuffix, passed: v.passed })) : null, model: path.join(out, 'resnet50', 'model.json') }, null, 2)}\n`);
      const pick = (keys: string[]) => Object.fromEntries(keys.filter((k) => k in history).map((k) => [k, history[k]]));
      writeFileSync(path.join(out, 'loss.svg'), await renderSvg(learningCurvesSpec(pick(['loss', 'val_loss']), { epoch: 'epoch', value: 'loss' })));
      writeFileSync(path.join(out, 'accuracy.svg'), await renderSvg(learningCurvesSpec(pick(['acc', 'val_acc', 'accuracy', 'val_accuracy']), { epoch: 'epoch', value: 'accuracy' })));
      const notScored = options.score ? NO_ARCHITECTURE : 'turned off (--no-score)';
      writeFileSync(path.join(out, 'training.md'), trainingMarkdown(summary, notScored));
      const verdict = scores ? `Test accuracy ${scores.test.accuracy.toFixed(4)} (${scores.test.correct} of ${scores.test.total}): ${passed ? 'reaches' : 'below'} ${TRAINED_THRESHOLD}.` : `Not scored here: ${notScored}.`;
      process.stdout.write(`${verdict} Saved ${path.join(out, 'resnet50', 'model.json')}; curves in ${path.join(out, 'training.md')} (${seconds.toFixed(1)} s).\n`);
      setExitCode(passed === false ? 1 : 0);
    });
}
