/** What `labgrade train` writes beside the saved model: training.json, training.md and the learning curves as SVG. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TrainingRun } from '../engine/train-submission.js';
import { learningCurvesSpec, renderSvg } from './charts.js';

export interface TrainingReportFacts {
  threshold: number;
  /** The Residual Networks lab's accuracy bands the saved model passes (null: not scored). */
  bands: { band: string; passed: boolean }[] | null;
  /** Why the model was not scored, where it was not. */
  notScored: string;
}

function trainingMarkdown(run: TrainingRun, facts: TrainingReportFacts): string {
  const h = run.history;
  const recipe = run.recipe;
  const columns = Object.keys(h);
  const epochs = h[columns[0]]?.length ?? 0;
  const rows = Array.from({ length: epochs }, (_, i) => {
    const lr = run.reductions.find((r) => r.epoch === i);
    return `| ${i + 1} | ${columns.map((c) => h[c][i].toFixed(4)).join(' | ')} | ${lr ? `→ ${lr.learningRate.toExponential(1)}` : ''} |`;
  });
  const test = run.scores?.test;
  return [
    '# ResNet50 training',
    '',
    `Recipe: Adam ${recipe.learningRate}, batch ${recipe.batchSize}, validation split ${recipe.validationSplit}, ReduceLROnPlateau(factor ${recipe.plateau.factor}, patience ${recipe.plateau.patience}, min ${recipe.plateau.minLr}), ${recipe.epochs} epochs${recipe.subset ? ` on ${recipe.subset} images (smoke run)` : ''}; ${run.backend}, ${run.seconds.toFixed(1)} s.`,
    '',
    test
      ? `Test accuracy (120 SIGNS test images, measured on the saved model as grading measures it): **${test.accuracy.toFixed(4)}** (${test.correct} of ${test.total}), ${run.passed ? 'reaches' : 'is below'} ${facts.threshold}.`
      : `Not scored: ${facts.notScored}.`,
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

/** Writes the training's record into `out` (the folder holding resnet50/). */
export async function writeTrainingReport(out: string, run: TrainingRun, facts: TrainingReportFacts): Promise<void> {
  const { recipe, history, reductions, scores, passed, seconds, backend, modelPath } = run;
  writeFileSync(path.join(out, 'training.json'), `${JSON.stringify({ options: recipe, history, reductions, scores, passed, seconds, backend, threshold: facts.threshold, bands: facts.bands, model: modelPath }, null, 2)}\n`);
  const pick = (keys: string[]) => Object.fromEntries(keys.filter((k) => k in history).map((k) => [k, history[k]]));
  writeFileSync(path.join(out, 'loss.svg'), await renderSvg(learningCurvesSpec(pick(['loss', 'val_loss']), { epoch: 'epoch', value: 'loss' })));
  writeFileSync(path.join(out, 'accuracy.svg'), await renderSvg(learningCurvesSpec(pick(['acc', 'val_acc', 'accuracy', 'val_accuracy']), { epoch: 'epoch', value: 'accuracy' })));
  writeFileSync(path.join(out, 'training.md'), trainingMarkdown(run, facts));
}
