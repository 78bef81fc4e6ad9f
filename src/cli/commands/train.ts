/**
 * `labgrade train residual-networks <submission>`: trains the submission's ResNet50 with the sample
 * report's recipe (Adam 1e-3, batch 32, validation split 0.1, ReduceLROnPlateau(0.2, 5, 1e-5), up to
 * 50 epochs), shows progress, saves the model in tfjs format, writes the learning curves, and scores
 * the saved model as grading does (engine/train-submission.ts).
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { findLab } from '../../../graders/index.js';
import { bandVerdicts } from '../../../graders/residual-networks.js';
import { parseBackendChoice } from '../../backends/choice.js';
import { datasetsDir } from '../../data/datasets-dir.js';
import { cachedSigns } from '../../data/signs.js';
import { SAMPLE_REPORT_RECIPE, type EpochProgress, type TrainOptions } from '../../training/train-model.js';
import { NO_ARCHITECTURE } from '../../engine/score-model-file.js';
import { TRAINED_THRESHOLD, trainSubmission } from '../../engine/train-submission.js';
import { writeTrainingReport } from '../../report/training-report.js';
import { UsageError } from '../../errors.js';
import { chooseSandbox } from '../sandbox-choice.js';

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
      cachedSigns(dataDir); // a missing or corrupt dataset is reported before anything starts (the sandbox's probe included)
      const sandbox = chooseSandbox(options.sandbox, 'grade', [folder]);
      const out = path.resolve(options.out);
      const run = await trainSubmission(lab, folder, {
        recipe,
        dataDir,
        run: { sandbox: sandbox.kind, backend: parseBackendChoice(options.backend) },
        timeLimitMs: minutes * 60_000,
        out,
        score: options.score,
        onTrainerStarted: (backend) => process.stdout.write(`Training resNet50 from ${path.join(folder, lab.file)} on ${backend}\n`),
        onProgress: progressPrinter(),
      });
      const notScored = options.score ? NO_ARCHITECTURE : 'turned off (--no-score)';
      const bands = run.scores ? bandVerdicts(run.scores).map((v) => ({ band: v.idSuffix, passed: v.passed })) : null;
      await writeTrainingReport(out, run, { threshold: TRAINED_THRESHOLD, bands, notScored });
      const { scores, passed } = run;
      const verdict = scores ? `Test accuracy ${scores.test.accuracy.toFixed(4)} (${scores.test.correct} of ${scores.test.total}): ${passed ? 'reaches' : 'below'} ${TRAINED_THRESHOLD}.` : `Not scored here: ${notScored}.`;
      process.stdout.write(`${verdict} Saved ${run.modelPath}; curves in ${path.join(out, 'training.md')} (${run.seconds.toFixed(1)} s).\n`);
      setExitCode(passed === false ? 1 : 0);
    });
}
