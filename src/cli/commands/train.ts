/**
 * `labgrade train residual-networks <submission>`: trains the submission's ResNet50 in its own
 * sandboxed process with the sample report's recipe (Adam 1e-3, batch 32, validation split 0.1,
 * ReduceLROnPlateau(0.2, 5, 1e-5), up to 50 epochs), shows progress, saves the model in tfjs
 * format, writes the learning curves, and scores the saved model on the SIGNS test set.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tf } from '../../tfjs.js';
import type { Command } from 'commander';
import { findLab } from '../../../graders/index.js';
import { bundleSubmission, BundleError } from '../../sandbox/bundle.js';
import { DEFAULT_LIMITS, SandboxSession } from '../../sandbox/session.js';
import { describeOutcomeFailure } from '../../engine/grade-lab.js';
import { activateBackend, parseBackendChoice } from '../../backends/backends.js';
import { datasetsDir } from '../../data/datasets-dir.js';
import { cachedSigns } from '../../data/signs.js';
import { SAMPLE_REPORT_RECIPE, type EpochProgress, type TrainedModel, type TrainOptions } from '../../training/train-model.js';
import { loadTfjsModelFiles, writeTfjsModelFiles } from '../../models/tfjs-files.js';
import { evaluateOnSignsTest, type Evaluation } from '../../models/evaluate-signs.js';
import { learningCurvesSpec, renderSvg } from '../../report/charts.js';
import { UsageError } from '../../errors.js';

/** The accuracy the sample report's recipe must reach on the test set. */
export const TRAINED_THRESHOLD = 0.95;

interface TrainCommandOptions {
  out: string;
  epochs?: string;
  batchSize?: string;
  subset?: string;
  data?: string;
  backend: string;
  timeLimit: string;
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

function trainingMarkdown(summary: { options: TrainOptions; history: Record<string, number[]>; reductions: TrainedModel['reductions']; evaluation: Evaluation; passed: boolean; seconds: number; backend: string }): string {
  const h = summary.history;
  const columns = Object.keys(h);
  const epochs = h[columns[0]]?.length ?? 0;
  const rows = Array.from({ length: epochs }, (_, i) => {
    const lr = summary.reductions.find((r) => r.epoch === i);
    return `| ${i + 1} | ${columns.map((c) => h[c][i].toFixed(4)).join(' | ')} | ${lr ? `→ ${lr.learningRate.toExponential(1)}` : ''} |`;
  });
  return [
    '# ResNet50 training',
    '',
    `Recipe: Adam ${summary.options.learningRate}, batch ${summary.options.batchSize}, validation split ${summary.options.validationSplit}, ReduceLROnPlateau(factor ${summary.options.plateau.factor}, patience ${summary.options.plateau.patience}, min ${summary.options.plateau.minLr}), ${summary.options.epochs} epochs${summary.options.subset ? ` on ${summary.options.subset} images (smoke run)` : ''}; ${summary.backend}, ${summary.seconds.toFixed(1)} s.`,
    '',
    `Test accuracy (120 SIGNS test images, measured on the saved model): **${summary.evaluation.accuracy.toFixed(4)}** (${summary.evaluation.correct} of ${summary.evaluation.total}), ${summary.passed ? 'reaches' : 'is below'} ${TRAINED_THRESHOLD}.`,
    '',
    '![loss per epoch](loss.svg) ![accuracy per epoch](accuracy.svg)',
    '',
    `| epoch | ${columns.join(' | ')} | learning rate |`,
    `| --- | ${columns.map(() => '---').join(' | ')} | --- |`,
    ...rows,
    '',
  ].join('\n');
}

export function registerTrain(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('train')
    .description('train a submission\'s ResNet50 (lab residual-networks) with the sample report\'s recipe, save it, and score it on the SIGNS test set')
    .argument('<lab>', 'residual-networks')
    .argument('<submission>', 'the submission folder or its residual-networks.ts')
    .requiredOption('--out <dir>', 'folder for resnet50/model.json, training.json, training.md and the learning curves')
    .option('--epochs <n>', `epochs (default ${SAMPLE_REPORT_RECIPE.epochs})`)
    .option('--batch-size <n>', `batch size (default ${SAMPLE_REPORT_RECIPE.batchSize})`)
    .option('--subset <n>', 'train on this many images only (a quick smoke run on the CPU)')
    .option('--data <dir>', "datasets folder holding signs/ (default: $LABGRADE_DATA, else the shared folder's datasets/)")
    .option('--backend <name>', 'tfjs backend (auto, tensorflow, webgpu, wasm, cpu)', 'auto')
    .option('--time-limit <minutes>', 'stop the training after this long', '240')
    .action(async (labId: string, submission: string, options: TrainCommandOptions) => {
      const lab = findLab(labId === 'resnets' ? 'residual-networks' : labId);
      if (lab?.id !== 'residual-networks') throw new UsageError(`labgrade trains the Residual Networks lab's ResNet50 only (lab "residual-networks"), not "${labId}"`);
      const file = existsSync(submission) && statSync(submission).isDirectory() ? path.join(submission, lab.file) : submission;
      if (!existsSync(file)) throw new UsageError(`${file} does not exist`);
      const recipe: TrainOptions = {
        ...SAMPLE_REPORT_RECIPE,
        epochs: positiveInt(options.epochs, '--epochs', SAMPLE_REPORT_RECIPE.epochs)!,
        batchSize: positiveInt(options.batchSize, '--batch-size', SAMPLE_REPORT_RECIPE.batchSize)!,
        subset: positiveInt(options.subset, '--subset'),
      };
      const minutes = positiveInt(options.timeLimit, '--time-limit')!;
      const dataDir = datasetsDir(options.data);
      const { test: testSet } = cachedSigns(dataDir); // a missing or corrupt dataset is reported before anything starts
      let bundle;
      try {
        bundle = await bundleSubmission(path.resolve(file));
      } catch (err) {
        if (err instanceof BundleError) throw new UsageError(`${file} could not be compiled:\n${err.message}`);
        throw err;
      }
      const started = performance.now();
      // ResNet50 training holds activations for a whole batch: more room than a grading call.
      const limits = { ...DEFAULT_LIMITS, heapMb: 2048, rssMb: 8192, startupTimeoutMs: 60_000 };
      const start = await SandboxSession.start(bundle, path.dirname(path.resolve(file)), { backend: parseBackendChoice(options.backend), purpose: 'train', dataDir }, limits);
      if (start.kind !== 'loaded') throw new UsageError(`the submission could not be loaded: ${start.kind === 'load-failed' ? `${start.error.name}: ${start.error.message}` : start.reason}`);
      process.stdout.write(`Training resNet50 from ${file} on ${start.backend} (${start.device})\n`);
      let outcome;
      try {
        outcome = await start.session.train('resNet50', [], recipe, minutes * 60_000, progressPrinter());
      } finally {
        start.session.close();
      }
      if (outcome.kind !== 'trained') throw new UsageError(`training failed: resNet50 ${outcome.kind === 'value' ? 'returned a value instead of training' : describeOutcomeFailure(outcome, true)}`);
      const out = path.resolve(options.out);
      const modelDir = path.join(out, 'resnet50');
      writeTfjsModelFiles(modelDir, outcome.trained.artifacts, 'labgrade train');
      await activateBackend(tf, parseBackendChoice(options.backend), 'train');
      const saved = await loadTfjsModelFiles(tf, modelDir);
      const evaluation = await evaluateOnSignsTest(tf, saved, testSet);
      saved.dispose();
      const passed = evaluation.accuracy >= TRAINED_THRESHOLD;
      const seconds = (performance.now() - started) / 1000;
      const { history, reductions } = outcome.trained;
      const summary = { options: recipe, history, reductions, evaluation, passed, seconds, backend: `${start.backend} (${start.device})` };
      writeFileSync(path.join(out, 'training.json'), `${JSON.stringify({ ...summary, threshold: TRAINED_THRESHOLD, model: path.join(modelDir, 'model.json') }, null, 2)}\n`);
      const pick = (keys: string[]) => Object.fromEntries(keys.filter((k) => k in history).map((k) => [k, history[k]]));
      writeFileSync(path.join(out, 'loss.svg'), await renderSvg(learningCurvesSpec(pick(['loss', 'val_loss']), { epoch: 'epoch', value: 'loss' })));
      writeFileSync(path.join(out, 'accuracy.svg'), await renderSvg(learningCurvesSpec(pick(['acc', 'val_acc', 'accuracy', 'val_accuracy']), { epoch: 'epoch', value: 'accuracy' })));
      writeFileSync(path.join(out, 'training.md'), trainingMarkdown(summary));
      process.stdout.write(
        `Test accuracy ${evaluation.accuracy.toFixed(4)} (${evaluation.correct} of ${evaluation.total}): ${passed ? 'reaches' : 'below'} ${TRAINED_THRESHOLD}. ` +
          `Saved ${path.join(modelDir, 'model.json')}; curves in ${path.join(out, 'training.md')} (${seconds.toFixed(1)} s).\n`,
      );
      setExitCode(passed ? 0 : 1);
    });
}
