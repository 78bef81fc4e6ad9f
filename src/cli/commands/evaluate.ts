/**
 * `labgrade evaluate <model>`: a trained ResNet50's accuracy on the 120 SIGNS test images (and an
 * instructor's held-out images, which then decide), and the points the Residual Networks lab gives
 * it: scored exactly as grading scores it (engine/score-model-file.ts, in a sandboxed evaluator; the
 * bands' verdicts of the grader, resolved by the same scoring).
 */
import { verdictCheck } from '../../engine/check-results.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { bandVerdicts, identifyPublished, residualNetworks } from '../../../graders/residual-networks.js';
import { parseBackendChoice } from '../../backends/choice.js';
import { datasetsDir } from '../../data/datasets-dir.js';
import { cachedHoldout, readSignsH5 } from '../../data/signs.js';
import { NO_ARCHITECTURE, readModelAt, scoreModelFile } from '../../engine/score-model-file.js';
import { loadArchitecture } from '../../cases/expected.js';
import { UsageError } from '../../errors.js';
import { scoreChecks, sumPoints } from '../../engine/scoring.js';
import { chooseSandbox } from '../sandbox-choice.js';

interface EvaluateOptions {
  data?: string;
  holdout?: string;
  backend: string;
  sandbox?: string;
  json?: boolean;
}

const EVALUATION_TIMEOUT_MS = 10 * 60_000;

export function registerEvaluate(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('evaluate')
    .description('score a trained ResNet50 (model.json, or Keras .h5 weights) on the SIGNS test set, as grading does')
    .argument('<model>', 'model.json, a folder holding one, or a Keras weights file (.h5)')
    .option('--data <dir>', "datasets folder holding signs/ (default: $LABGRADE_DATA, else the shared folder's datasets/)")
    .option('--holdout <dir>', "an instructor's held-out SIGNS images (<label>_*.jpg, or one .h5): they decide the points")
    .option('--backend <name>', 'tfjs backend (auto, webgpu, wasm, cpu)', 'auto')
    .option('--sandbox <kind>', "bwrap (default) or node: where the model file is parsed and run")
    .option('--json', 'print the result as JSON')
    .action(async (model: string, options: EvaluateOptions) => {
      const started = performance.now();
      if (!existsSync(model)) throw new UsageError(`${model} does not exist`);
      const dataDir = datasetsDir(options.data);
      // The data before the model: a missing or corrupt set is reported first.
      const sets = { test: readSignsH5(path.join(dataDir, 'signs', 'test_signs.h5'), 'test'), ...(options.holdout ? { holdout: cachedHoldout(options.holdout) } : {}) };
      const sandbox = chooseSandbox(options.sandbox, 'grade');
      const read = readModelAt(model);
      if ('problem' in read) throw new UsageError(read.problem);
      const architecture = loadArchitecture(residualNetworks.id);
      if (!architecture) throw new UsageError(NO_ARCHITECTURE);
      const scoring = await scoreModelFile(read.model, architecture, sets, { sandbox: sandbox.kind, backend: parseBackendChoice(options.backend) }, EVALUATION_TIMEOUT_MS);
      if ('rejected' in scoring) throw new UsageError(scoring.rejected);
      if ('incomplete' in scoring) throw new Error(scoring.incomplete);
      const exercise = residualNetworks.exercises.find((e) => e.assessFiles)!;
      // The points as grading gives them: the grader's verdicts, resolved by the grader's scoring.
      const scores = identifyPublished(scoring.scores);
      const checks = scoreChecks(exercise.points, bandVerdicts(scores).map((v) => verdictCheck(v, v.idSuffix, 0)));
      const { points, maxPoints } = sumPoints(checks);
      const decisive = scores.holdout ?? scores.test;
      const { ran } = scoring;
      const result = { model: path.resolve(model), ...scores, accuracy: decisive.accuracy, correct: decisive.correct, total: decisive.total, points, maxPoints, sandbox: sandbox.kind, backend: ran.backend, device: ran.device, ...(ran.passedOver ? { passedOver: ran.passedOver } : {}), totalMs: Math.round(performance.now() - started) };
      if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else {
        process.stdout.write(`${path.basename(model)}: ${checks[0].message} ${points} / ${maxPoints} points; ${(result.totalMs / 1000).toFixed(1)} s\n`);
        process.stdout.write(`Ran on the ${ran.backend} backend (${ran.device})${ran.passedOver ? `; not on a faster one: ${ran.passedOver}` : ''}.\n`);
      }
      setExitCode(0);
    });
}
