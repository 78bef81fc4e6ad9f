/**
 * Where Lab 2's `model` thresholds come from: grades the reference and the independently written
 * correct implementations (test/grading/lab2-implementations) from the grader's start, in both the
 * graded (hidden, relabelled) and the self-check (public) configuration, and typical wrong trainings
 * and a pasted-parameters attack in the graded one, all through the real grading path (sandbox,
 * judge). Prints one row each: accuracies, the start correlations, the grader's cost against the
 * reported one, and the points. docs/lab2-training.md holds the table this printed.
 *
 * Usage: node dist/bench/lab2-training.js [--only name,...] [--write-attack <file>]
 *   --write-attack: also writes the pasted-parameters attack (a model() returning parameters
 *   trained once elsewhere, with invented costs) to <file>, as the adversarial corpus holds it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { convApplication } from '../graders/conv-application.js';
import { gradeLab } from '../src/engine/grade-lab.js';
import { openSubmission } from '../src/engine/grade-submission.js';
import { activateBackend } from '../src/backends/choice.js';
import { datasetsDir } from '../src/data/datasets-dir.js';
import { signsTensors } from '../src/data/dataset-tensors.js';
import { projectRoot } from '../src/paths.js';
import { bwrapStatus } from '../src/sandbox/os-sandbox.js';
import { model as referenceModel } from '../solutions/conv-application.js';

const LAB_FILE = 'conv-application.ts';
const { values } = parseArgs({ options: { only: { type: 'string' }, 'write-attack': { type: 'string' } } });
const dataDir = datasetsDir(process.env.LABGRADE_DATA);
const sandbox = bwrapStatus().available ? 'bwrap' : 'node';
const reference = readFileSync(path.join(projectRoot, 'solutions', LAB_FILE), 'utf8');

const work = mkdtempSync(path.join(os.tmpdir(), 'labgrade-lab2-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
let folders = 0;

/** A submission folder: the lab file, and other files beside it. */
function folderWith(text: string, others: Record<string, string> = {}): string {
  const dir = path.join(work, String(folders++));
  mkdirSync(dir);
  for (const [name, contents] of Object.entries({ [LAB_FILE]: text, ...others })) writeFileSync(path.join(dir, name), contents);
  return dir;
}

/** The adversarial corpus's disguised pasted parameters, with the reference beside them as its setup puts it. */
function disguisedAttack(): string {
  const attack = path.join(projectRoot, 'test', 'adversarial', 'lab2-pasted-disguised-as-trained');
  const read = (file: string) => readFileSync(file, 'utf8');
  return folderWith(read(path.join(attack, LAB_FILE)), { 'pretrained.json': read(path.join(attack, 'pretrained.json')), 'dead.json': read(path.join(attack, 'dead.json')), 'reference.ts': reference });
}

function variant(replacements: [string, string][]): string {
  return replacements.reduce((text, [from, to]) => {
    if (!text.includes(from)) throw new Error(`variant: "${from}" is not in the reference`);
    return text.replace(from, to);
  }, reference);
}

/** A model() that returns parameters trained once elsewhere, pasted in, with invented costs. */
async function pastedParametersSubmission(): Promise<string> {
  await activateBackend(tf, 'wasm');
  const data = signsTensors(tf, dataDir);
  const trained = referenceModel(data['signs/train/x'] as tf.Tensor4D, data['signs/train/y'] as tf.Tensor2D, data['signs/test/x'] as tf.Tensor4D, data['signs/test/y'] as tf.Tensor2D, { numEpochs: 100 });
  const literal = (t: tf.Tensor) => `tf.tensor(${JSON.stringify(Array.from(t.dataSync(), (x) => Number(x.toPrecision(7))))}, ${JSON.stringify(t.shape)})`;
  const costs = Array.from({ length: 100 }, (_, i) => Number((1.8 * Math.exp(-i / 30) + 0.1).toFixed(4)));
  const pasted = `import * as tf from '@tensorflow/tfjs';
// Parameters trained once, elsewhere (the reference's own start, the true labels), pasted in; costs invented.
export function model() {
  const parameters = { W1: ${literal(trained.parameters.W1)}, W2: ${literal(trained.parameters.W2)}, W3: ${literal(trained.parameters.W3)}, b3: ${literal(trained.parameters.b3)} };
  return { parameters, costs: ${JSON.stringify(costs)}, trainAccuracy: ${trained.trainAccuracy.toFixed(4)}, testAccuracy: ${trained.testAccuracy.toFixed(4)} };
}
`;
  tf.dispose([...Object.values(data), ...Object.values(trained.parameters)]);
  return pasted;
}

const implementations = path.join(projectRoot, 'test', 'grading', 'lab2-implementations');
const runs: { name: string; kind: 'correct' | 'wrong' | 'attack'; dir: () => Promise<string>; configs: ('graded' | 'self-check')[] }[] = [
  { name: 'reference', kind: 'correct', dir: async () => path.join(projectRoot, 'solutions'), configs: ['graded', 'self-check'] },
  ...['variable-grads', 'explicit-padding', 'per-batch-mean'].map((name) => ({ name, kind: 'correct' as const, dir: async () => path.join(implementations, name), configs: ['graded', 'self-check'] as ('graded' | 'self-check')[] })),
  // The recipe's shuffles differ, the training does not: right, if not the recipe to the letter.
  { name: 'seed never advanced (one shuffle for every epoch)', kind: 'correct', dir: async () => folderWith(variant([['    seed += 1;\n', '']])), configs: ['graded'] },
  { name: 'seed advanced after the shuffle', kind: 'correct', dir: async () => folderWith(variant([['    seed += 1;\n    const minibatches = randomMiniBatches(XTrain, YTrain, minibatchSize, seed);\n', '    const minibatches = randomMiniBatches(XTrain, YTrain, minibatchSize, seed);\n    seed += 1;\n']])), configs: ['graded'] },
  // Every epoch on another recipe shuffle: trains as well, elsewhere; how far apart two right trainings can land.
  { name: 'an extra randomMiniBatches call first (other shuffles)', kind: 'wrong', dir: async () => folderWith(variant([['  for (let epoch = 0; epoch < numEpochs; epoch++) {\n', '  randomMiniBatches(XTrain, YTrain, minibatchSize, seed);\n  for (let epoch = 0; epoch < numEpochs; epoch++) {\n']])), configs: ['graded'] },
  // Training cut short: how far a fifth or half of the recipe gets.
  ...[20, 50].map((epochs) => ({ name: `${epochs} of the 100 epochs`, kind: 'wrong' as const, dir: async () => folderWith(variant([['  for (let epoch = 0; epoch < numEpochs; epoch++) {\n', `  for (let epoch = 0; epoch < ${epochs}; epoch++) {\n`]])), configs: ['graded'] as ('graded' | 'self-check')[] })),
  { name: 'no update step', kind: 'wrong', dir: async () => folderWith(variant([['optimizer.minimize(() => computeCost(forwardPropagation(X as tf.Tensor4D, variables), Y as tf.Tensor2D), true)', 'tf.tidy(() => computeCost(forwardPropagation(X as tf.Tensor4D, variables), Y as tf.Tensor2D))']])), configs: ['graded'] },
  { name: 'learning rate ignored', kind: 'wrong', dir: async () => folderWith(variant([['tf.train.adam(learningRate)', 'tf.train.adam()']])), configs: ['graded'] },
  { name: 'cost summed', kind: 'wrong', dir: async () => folderWith(variant([['const cost = tf.mean(tf.losses.softmaxCrossEntropy(', 'const cost = tf.sum(tf.losses.softmaxCrossEntropy(']])), configs: ['graded'] },
  { name: 'initial parameters returned', kind: 'wrong', dir: async () => folderWith(variant([['    parameters: variables,', '    parameters: initial,']])), configs: ['graded'] },
  { name: 'own start (options.initialParameters ignored)', kind: 'wrong', dir: async () => folderWith(variant([['const initial = options.initialParameters ?? initializeParameters();', 'const initial = initializeParameters(7);']])), configs: ['graded'] },
  { name: 'pasted parameters', kind: 'attack', dir: async () => folderWith(await pastedParametersSubmission()), configs: ['graded'] },
  // Pasted, relabelling inferred, the grader's start mixed into filters made dead so that it looks trained.
  { name: 'pasted and disguised as trained', kind: 'attack', dir: async () => disguisedAttack(), configs: ['graded'] },
];

const only = values.only?.split(',');
if (values['write-attack']) writeFileSync(values['write-attack'], await pastedParametersSubmission());
console.log(`Lab 2 model, wasm, sandbox ${sandbox}, data ${dataDir}`);
console.log('| submission | configuration | train acc | test acc | r with the reference\'s training (W1 / W2 / W3) | r with the start (W1 / W2 / W3) | last reported cost | grader\'s cost | model points | seconds |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const run of runs.filter((r) => !only || only.includes(r.name))) {
  const dir = await run.dir();
  for (const config of run.configs) {
    const lab = await gradeLab(convApplication, openSubmission(dir), { checks: config === 'graded' ? 'all' : 'public', sandbox, backend: 'wasm', dataDir });
    const ex = lab.exercises.find((e) => e.id === 'model')!;
    const m = ex.metrics;
    const f = (x: number | undefined, digits = 4) => (x === undefined ? '–' : x.toFixed(digits));
    const last = m?.costs[m.costs.length - 1] ?? undefined;
    const rs = (r: { W1: number; W2: number; W3: number } | undefined) => (r ? [r.W1, r.W2, r.W3].map((x) => x.toFixed(3)).join(' / ') : '–');
    console.log(`| ${run.name} | ${config} | ${f(m?.trainAccuracy)} | ${f(m?.testAccuracy)} | ${rs(m?.referenceCorrelations)} | ${rs(m?.startCorrelations)} | ${f(last ?? undefined)} | ${f(m?.trainCost)} | ${ex.points} / ${ex.maxPoints} | ${f((m?.durationMs ?? 0) / 1000, 1)} |`);
    if ((ex.points < ex.maxPoints) === (run.kind === 'correct')) console.log(`  (${run.kind === 'correct' ? 'lost points' : 'earned points'}: ${ex.checks.map((c) => `${c.id} ${c.status}`).join(', ')})`);
  }
}
