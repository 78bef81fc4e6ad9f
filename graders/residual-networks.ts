/**
 * Lab 3, "Residual Networks" (the course's optional lab): identityBlock, convolutionalBlock and
 * ResNet50 in tfjs-layers, plus the student's trained ResNet50 scored on the SIGNS test set.
 *
 * Points (50): identityBlock 12, convolutionalBlock 10, resNet50 13, trained model 15 in three
 * bands (test accuracy ≥ 0.80, ≥ 0.90, ≥ 0.95: 5 points each, so ≥ 0.95 earns all 15).
 *
 * The identity-block values are the course's [D] cases (constant-1 weights), reproduced to 1e-5.
 * The convolutional block's published arrays come from TensorFlow's Glorot stream with seed 0 and
 * cannot be reproduced in tfjs: with its default initializer the block is checked for shape,
 * non-negativity and the stride's effect; with constant-1 weights its values are checked too.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import { tf } from '../src/tfjs.js';
import type { ExerciseDefinition, FilesAssessment, FilesContext, JudgeContext, LabDefinition, MistakeDefinition, Verdict } from '../src/engine/lab-definition.js';
import type { ImageSetScore, ModelScores } from '../src/engine/model.js';
import { compareSummaries, type ModelSummary } from '../src/engine/model-summary.js';
import { isEncodedModel, isEncodedTensor, type Value } from '../src/engine/values.js';
import { NO_ARCHITECTURE, readTrainedModel, scoreModelFile } from '../src/models/score-model-file.js';
import { loadArchitecture } from '../src/fixtures/expected.js';
import { cachedHoldout, cachedSigns } from '../src/data/signs.js';
import { channelNormAgreement, sampleCorrelation, SAME_CHANNEL_NORMS, SAME_WEIGHTS_CORRELATION } from '../src/models/weights-sample.js';
import { fixturesDir } from '../src/paths.js';

type Filters = [number, number, number];
interface BlockOptions {
  training?: boolean;
  initializer?: string;
}

/** How a block is wired; the course's blocks and the typical wrong wirings are variants of one builder. */
interface Wiring {
  /** A strided 1×1 conv + BN on the shortcut (the convolutional block), or the input as it is. */
  projection: boolean;
  stride: number;
  /** Which conv of the main path carries the stride. */
  strideOn: 'first' | 'second';
  shortcut: boolean;
  reluBeforeAdd: boolean;
}

function wiredBlock(X: tfType.Tensor, f: number, [F1, F2, F3]: Filters, options: BlockOptions, w: Wiring): tfType.Tensor {
  const kw = options.training === undefined ? {} : { training: options.training };
  const init = (options.initializer ?? 'ones') as 'ones';
  const conv = (x: tfType.Tensor, filters: number, size: number, stride: number, padding: 'same' | 'valid') =>
    tf.layers.conv2d({ filters, kernelSize: size, strides: stride, padding, kernelInitializer: init }).apply(x) as tfType.Tensor;
  const bn = (x: tfType.Tensor) => tf.layers.batchNormalization({ axis: 3 }).apply(x, kw) as tfType.Tensor;
  let x = tf.relu(bn(conv(X, F1, 1, w.strideOn === 'first' ? w.stride : 1, 'valid')));
  x = tf.relu(bn(conv(x, F2, f, w.strideOn === 'second' ? w.stride : 1, 'same')));
  x = bn(conv(x, F3, 1, 1, 'valid'));
  if (w.reluBeforeAdd) x = tf.relu(x);
  if (!w.shortcut) return tf.relu(x);
  const shortcut = w.projection ? bn(conv(X, F3, 1, w.stride, 'valid')) : X;
  return tf.relu(tf.add(x, shortcut));
}

const IDENTITY: Wiring = { projection: false, stride: 1, strideOn: 'first', shortcut: true, reluBeforeAdd: false };
const identityArgs = (args: unknown[]) => args as [tfType.Tensor, number, Filters, number, string, BlockOptions?];
const convArgs = (args: unknown[]) => args as [tfType.Tensor, number, Filters, number, string, number?, BlockOptions?];

const identityMistakes: MistakeDefinition[] = [
  {
    id: 'no-shortcut',
    message: 'The shortcut is missing: add the block\'s input to the main path (tf.layers.add().apply([X_shortcut, X])) before the last ReLU.',
    variant: ({ args }) => {
      const [X, f, filters, , , options = {}] = identityArgs(args);
      return wiredBlock(X, f, filters, options, { ...IDENTITY, shortcut: false });
    },
  },
  {
    id: 'relu-before-add',
    message: 'The third component has a ReLU before the addition. It ends with BatchNormalization; the ReLU comes after adding the shortcut.',
    variant: ({ args }) => {
      const [X, f, filters, , , options = {}] = identityArgs(args);
      return wiredBlock(X, f, filters, options, { ...IDENTITY, reluBeforeAdd: true });
    },
  },
];

const convMistakes: MistakeDefinition[] = [
  {
    id: 'stride-on-middle-conv',
    message: 'The stride is on the f×f convolution. In the convolutional block the first 1×1 convolution (and the shortcut\'s) carries the stride s; the f×f one has stride 1 and "same" padding.',
    variant: ({ args }) => {
      const [X, f, filters, , , s = 2, options = {}] = convArgs(args);
      return wiredBlock(X, f, filters, options, { projection: true, stride: s, strideOn: 'second', shortcut: true, reluBeforeAdd: false });
    },
  },
  {
    id: 'relu-before-add',
    message: 'The third component has a ReLU before the addition. It ends with BatchNormalization; the ReLU comes after adding the shortcut.',
    variant: ({ args }) => {
      const [X, f, filters, , , s = 2, options = {}] = convArgs(args);
      return wiredBlock(X, f, filters, options, { projection: true, stride: s, strideOn: 'first', shortcut: true, reluBeforeAdd: true });
    },
  },
];

/** The block with the course's default initializer: [TF] values, so shape, sign and the stride's effect. */
async function judgeBlockStructure(actual: Value, ctx: JudgeContext): Promise<Verdict[]> {
  const [X, , filters, , , s = 2] = ctx.args as [{ $tensor: { shape: number[] } }, number, Filters, number, string, number?];
  const [m, h, w] = X.$tensor.shape;
  const expectedShape = [m, Math.floor((h - 1) / s) + 1, Math.floor((w - 1) / s) + 1, filters[2]];
  const problems: string[] = [];
  if (!isEncodedTensor(actual)) problems.push(`convolutionalBlock returned ${isEncodedModel(actual) ? 'a model' : 'something other than a tensor'}`);
  else {
    if (actual.$tensor.shape.join() !== expectedShape.join()) problems.push(`the output has shape [${actual.$tensor.shape.join(', ')}], expected [${expectedShape.join(', ')}] for stride ${s}`);
    const negative = actual.$tensor.data.filter((v) => v < 0).length;
    if (negative > 0) problems.push(`${negative} output values are negative: the block ends with a ReLU`);
    // A ReLU of a sum that has seen the input is not zero everywhere: zeros are not a block.
    if (!actual.$tensor.data.some((v) => v > 0)) problems.push('every output value is 0: the block computes nothing from its input');
  }
  return [
    {
      idSuffix: 'shape-and-relu',
      description: `convolutionalBlock with its default Glorot initializer, stride ${s}: output shape [${expectedShape.join(', ')}], no negative values, not all zero. The course's arrays come from TensorFlow's Glorot stream (seed 0), which tfjs cannot reproduce.`,
      passed: problems.length === 0,
      message: problems.length === 0 ? 'The shape follows the stride and every value is non-negative.' : `${problems.join('; ')}.`,
    },
  ];
}

/**
 * "stage 5, identity block b" for row i: from its layer's name (res5b_branch2a, bn5b_branch2a), or,
 * for unnamed layers (activations, additions), from the nearest named layer before it.
 */
function whereInResNet(names: readonly string[], i: number): string {
  for (let j = i; j >= 0; j--) {
    if (!names[j]) continue;
    const m = /^(?:res|bn)(\d)([a-f])_branch/.exec(names[j]);
    return m ? `stage ${m[1]}, ${m[2] === 'a' ? 'convolutional' : 'identity'} block ${m[2]}` : '';
  }
  return '';
}

/** The old notebook text (and the sample report) gives stage 5's identity blocks [256, 256, 2048]. */
const STAGE5_OLD_TEXT_PARAMS = 17_958_790;

const COURSE_LAYER_NAME = /^(conv1|bn_conv1|avg_pool|fc\d+|(res|bn)\d[a-f]_branch(1|2[abc]))$/;

async function judgeResNet50(actual: Value, ctx: JudgeContext): Promise<Verdict[]> {
  const expected = ctx.expected;
  if (!isEncodedModel(expected)) throw new Error('resNet50 has no expected summary: run `labgrade fixtures generate`');
  const want: ModelSummary = expected.$model;
  const named = want.names.filter((n) => COURSE_LAYER_NAME.test(n));
  const count = (n: number) => n.toLocaleString('en-US');
  const summaryDescription = `resNet50(): all ${want.rows.length} rows of the course's summary (class, output shape, parameters, padding/activation/initializer) and the row count; total ${count(want.trainableParams + want.nonTrainableParams)}, trainable ${count(want.trainableParams)}, non-trainable ${count(want.nonTrainableParams)}.`;
  const namesDescription = `The course's layer names (${named.length} of them: conv1, bn_conv1, res2a_branch2a, bn2a_branch2a, res2a_branch1, …, avg_pool, fc6), by which trained weights are loaded.`;
  if (!isEncodedModel(actual)) {
    const message =
      actual === null
        ? 'resNet50 returned null: is the code between ### START CODE HERE ### and ### END CODE HERE ### filled in?'
        : 'resNet50 must return a tf.LayersModel (tf.model({inputs, outputs})).';
    return [
      { idSuffix: 'summary', description: summaryDescription, passed: false, message },
      { idSuffix: 'layer-names', description: namesDescription, passed: false, message },
    ];
  }
  const got = actual.$model;
  const { differences } = compareSummaries(want, got, (i) => whereInResNet(want.names, i));
  const oldText = got.trainableParams + got.nonTrainableParams === STAGE5_OLD_TEXT_PARAMS;
  const missing = named.filter((n) => !got.names.includes(n));
  return [
    {
      idSuffix: 'summary',
      description: summaryDescription,
      passed: differences.length === 0,
      message: differences.length === 0 ? 'Every row matches the course\'s ResNet50.' : `${differences.join('; ')}.`,
      ...(oldText
        ? {
            diagnosis: {
              mistake: 'stage5-old-filters',
              message: "Stage 5's identity blocks take filters [512, 512, 2048]. The old notebook text says [256, 256, 2048], which gives 17,958,790 parameters instead of 23,600,006.",
            },
          }
        : {}),
    },
    {
      idSuffix: 'layer-names',
      description: namesDescription,
      passed: missing.length === 0,
      message: missing.length === 0 ? 'Every named layer is there.' : `${missing.length} layer names are missing, e.g. ${missing.slice(0, 5).join(', ')}: name the layers as the course does ('res' + stage + block + '_branch2a', ...).`,
    },
  ];
}

export const ACCURACY_BANDS = [0.8, 0.9, 0.95] as const;

/**
 * Weights published with the course (fixtures/residual-networks/published-weights.json: the
 * sha256 of their values as loaded into the course ResNet50 and a sample of its kernels): the
 * notebook itself loads its pretrained model, so a student may hand it in. It scores as any model
 * does; the report and the gradebook say what it is, for the same values (the hash) and for values
 * made from them, a copy with some changed or further training (the sample's correlation).
 */
export interface PublishedWeights {
  sha256: string;
  description: string;
  sample: number[];
  channelNorms: number[];
}

let published: PublishedWeights[] | undefined;
export function publishedWeights(): PublishedWeights[] {
  const file = path.join(fixturesDir, 'residual-networks', 'published-weights.json');
  // A student kit has no such file (nor the architecture to score models with).
  published ??= existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { weights: PublishedWeights[] }).weights : [];
  return published;
}

/** The scores, saying which published weights they are, or are made from, where they are. */
export function identifyPublished(scores: ModelScores): ModelScores {
  for (const weights of publishedWeights()) {
    if (weights.sha256 === scores.weightsSha256) return { ...scores, published: weights.description };
    const r = sampleCorrelation(scores.weightsSample, weights.sample);
    if (r !== null && r >= SAME_WEIGHTS_CORRELATION) return { ...scores, published: `${weights.description}, or weights made from it (kernels correlating ${r.toFixed(3)} with it)` };
    const agreement = channelNormAgreement(scores.channelNorms, weights.channelNorms);
    if (agreement !== null && agreement >= SAME_CHANNEL_NORMS) return { ...scores, published: `${weights.description}, with its channels reordered (${Math.round(agreement * 100)}% of its channel norms the same)` };
  }
  return scores;
}

const bandDescription = (band: number, holdout: boolean) =>
  holdout
    ? `The trained ResNet50's accuracy on the instructor's held-out images, measured by labgrade with the weights loaded into the course's ResNet50: at least ${band}.`
    : `The trained ResNet50's accuracy on the 120 SIGNS test images, measured by labgrade with the weights loaded into the course's ResNet50: at least ${band}.`;

const describeScore = (s: ImageSetScore) => `${s.accuracy.toFixed(4)} (${s.correct} of ${s.total})`;

/**
 * The three bands' verdicts for a scored model: the held-out accuracy decides where there is one;
 * the public test set's accuracy is labelled for what it is (every student has those images).
 */
export function bandVerdicts(scores: ModelScores): Verdict[] {
  const decisive = scores.holdout ?? scores.test;
  const detail = scores.holdout
    ? `Held-out accuracy ${describeScore(scores.holdout)} decides the points; on the public SIGNS test set ${describeScore(scores.test)} (every student has those images, so it is not what counts here)`
    : `Test accuracy ${describeScore(scores.test)} on the public SIGNS test set (${scores.file}). Every student has those images: a model trained on them would score 100%, so an instructor may grade on held-out images instead (--holdout)`;
  // Unlike Lab 2's model, nothing fixes where a student's own training run started: say so.
  const luck = 'A training run depends on chance (its initial weights, its shuffles): another run of the same code may land a little higher or lower';
  const published = scores.published ? ` These weights are ${scores.published}: they score as any model does, but they show no training of your own.` : '';
  return ACCURACY_BANDS.map((band) => ({
    idSuffix: `accuracy-${band}`,
    description: bandDescription(band, scores.holdout !== undefined),
    passed: decisive.accuracy >= band,
    message: `${detail}. ${luck}.${published}`,
  }));
}

/** Every band failed, with why: the model file could not be read or evaluated. */
function unreadable(message: string, holdout: boolean): FilesAssessment {
  return { verdicts: ACCURACY_BANDS.map((band) => ({ idSuffix: `accuracy-${band}`, description: bandDescription(band, holdout), passed: false, message })) };
}

async function assessTrainedModel(ctx: FilesContext): Promise<FilesAssessment> {
  const found = readTrainedModel(ctx.files);
  const holdout = ctx.holdoutDir !== undefined;
  if ('missing' in found) return { missing: found.missing };
  if ('problem' in found) return unreadable(`${found.problem}.`, holdout);
  const architecture = loadArchitecture('residual-networks');
  if (!architecture) return unreadable(NO_ARCHITECTURE, holdout);
  const sets = { test: cachedSigns(ctx.dataDir).test, ...(ctx.holdoutDir ? { holdout: cachedHoldout(ctx.holdoutDir) } : {}) };
  const scoring = await scoreModelFile(found.model, architecture, sets, ctx.run, ctx.timeoutMs);
  if ('incomplete' in scoring) return scoring;
  if ('rejected' in scoring) return unreadable(scoring.rejected, holdout);
  const scores = identifyPublished(scoring.scores);
  return { verdicts: bandVerdicts(scores), scores };
}

const exercises: ExerciseDefinition[] = [
  {
    id: 'identityBlock',
    title: 'Identity block',
    points: 12,
    graded: true,
    outputNames: ['A'],
    hint: 'Main path: Conv2D(F1, 1×1, valid) → BN → ReLU → Conv2D(F2, f×f, same) → BN → ReLU → Conv2D(F3, 1×1, valid) → BN; then add the input and apply a ReLU. Pass {training} to BatchNormalization.apply and the initializer to every Conv2D.',
    mistakes: identityMistakes,
  },
  {
    id: 'convolutionalBlock',
    title: 'Convolutional block',
    points: 10,
    graded: true,
    outputNames: ['A'],
    hint: 'As the identity block, but the first 1×1 conv has stride s, and the shortcut is Conv2D(F3, 1×1, stride s, valid) → BN before the addition.',
    mistakes: convMistakes,
    judge: judgeBlockStructure,
  },
  {
    id: 'resNet50',
    title: 'ResNet50',
    points: 13,
    graded: true,
    outputNames: ['model'],
    mistakes: [],
    judge: judgeResNet50,
    timeoutMs: 120_000,
  },
  {
    id: 'trainedModel',
    title: 'Trained ResNet50 (accuracy)',
    points: 15,
    graded: true,
    outputNames: [],
    mistakes: [],
    assessFiles: assessTrainedModel,
  },
];

export const residualNetworks: LabDefinition = {
  id: 'residual-networks',
  title: 'Residual Networks',
  file: 'residual-networks.ts',
  points: 50,
  exercises,
  tolerance: { rtol: 1e-5, atol: 1e-5 },
  timeouts: { exerciseMs: 60_000, labMs: 10 * 60_000 },
  solution: 'solutions/residual-networks.ts',
  optional: true,
  architectureFrom: 'resNet50',
};
