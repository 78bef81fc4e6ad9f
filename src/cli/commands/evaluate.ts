/**
 * `labgrade evaluate <model>`: a trained ResNet50's accuracy on the 120 SIGNS test images, and the
 * points the Residual Networks lab gives it. The model is a tfjs model.json (or its folder), or a
 * Keras weights file (.h5) mapped by layer name onto the course architecture.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { tf } from '../../tfjs.js';
import type { Command } from 'commander';
import { ACCURACY_BANDS, loadTrainedResNet50, residualNetworks } from '../../../graders/residual-networks.js';
import { activateBackend, parseBackendChoice } from '../../backends/backends.js';
import { datasetsDir } from '../../data/datasets-dir.js';
import { readSignsH5 } from '../../data/signs.js';
import { evaluateOnSignsTest } from '../../models/evaluate-signs.js';
import { UsageError } from '../../errors.js';
import { roundPoints, splitPoints } from '../../engine/scoring.js';

interface EvaluateOptions {
  data?: string;
  backend: string;
  json?: boolean;
}

export function registerEvaluate(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('evaluate')
    .description('score a trained ResNet50 (model.json, or Keras .h5 weights) on the SIGNS test set')
    .argument('<model>', 'model.json, a folder holding one, or a Keras weights file (.h5)')
    .option('--data <dir>', "datasets folder holding signs/ (default: $LABGRADE_DATA, else the shared folder's datasets/)")
    .option('--backend <name>', 'tfjs backend (auto, tensorflow, webgpu, wasm, cpu)', 'auto')
    .option('--json', 'print the result as JSON')
    .action(async (model: string, options: EvaluateOptions) => {
      const started = performance.now();
      if (!existsSync(model)) throw new UsageError(`${model} does not exist`);
      const dataDir = datasetsDir(options.data);
      // Only the test set, and before the model: a missing or corrupt one is reported first.
      const testSet = readSignsH5(path.join(dataDir, 'signs', 'test_signs.h5'), 'test');
      const active = await activateBackend(tf, parseBackendChoice(options.backend), 'train');
      const loaded = await loadTrainedResNet50(path.resolve(model));
      const evaluation = await evaluateOnSignsTest(tf, loaded, testSet);
      const exercise = residualNetworks.exercises.find((e) => e.assessFiles)!;
      // The bands' shares as grading gives them (one check per band).
      const shares = splitPoints(exercise.points, ACCURACY_BANDS.length);
      const points = roundPoints(ACCURACY_BANDS.reduce((sum, band, i) => sum + (evaluation.accuracy >= band ? shares[i] : 0), 0));
      const result = { model: path.resolve(model), ...evaluation, points, maxPoints: exercise.points, bands: ACCURACY_BANDS, backend: active.name, device: active.device, totalMs: Math.round(performance.now() - started) };
      if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else {
        process.stdout.write(
          `${path.basename(model)}: test accuracy ${evaluation.accuracy.toFixed(4)} (${evaluation.correct} of ${evaluation.total}); ${points} / ${exercise.points} points ` +
            `(bands ${ACCURACY_BANDS.join(', ')}); ${active.name} (${active.device}), ${(result.totalMs / 1000).toFixed(1)} s\n`,
        );
      }
      setExitCode(0);
    });
}
