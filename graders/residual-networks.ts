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
import type { ImageSetScore, MessageRef, ModelScores } from '../src/contract/result.js';
import { english, msg } from '../src/i18n/messages.js';
import { compareSummaries } from '../src/compare/compare-summaries.js';
import { type ModelSummary } from '../src/contract/summary.js';
import { isEncodedModel, isEncodedTensor, type Value } from '../src/contract/values.js';
import { NO_ARCHITECTURE_REF, readTrainedModel, scoreModelFile } from '../src/engine/score-model-file.js';
import { loadArchitecture } from '../src/cases/expected.js';
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
    variant: ({ args }) => {
      const [X, f, filters, , , options = {}] = identityArgs(args);
      return wiredBlock(X, f, filters, options, { ...IDENTITY, shortcut: false });
    },
  },
  {
    id: 'relu-before-add',
    variant: ({ args }) => {
      const [X, f, filters, , , options = {}] = identityArgs(args);
      return wiredBlock(X, f, filters, options, { ...IDENTITY, reluBeforeAdd: true });
    },
  },
];

const convMistakes: MistakeDefinition[] = [
  {
    id: 'stride-on-middle-conv',
    variant: ({ args }) => {
      const [X, f, filters, , , s = 2, options = {}] = convArgs(args);
      return wiredBlock(X, f, filters, options, { projection: true, stride: s, strideOn: 'second', shortcut: true, reluBeforeAdd: false });
    },
  },
  {
    id: 'relu-before-add',
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
  const problems: MessageRef[] = [];
  if (!isEncodedTensor(actual)) problems.push(msg(isEncodedModel(actual) ? 'judge.block.returned-model' : 'judge.block.not-tensor'));
  else {
    if (actual.$tensor.shape.join() !== expectedShape.join()) problems.push(msg('judge.block.shape', { shape: actual.$tensor.shape.join(', '), expected: expectedShape.join(', '), stride: String(s) }));
    const negative = actual.$tensor.data.filter((v) => v < 0).length;
    if (negative > 0) problems.push(msg('judge.block.negative', { count: String(negative) }));
    // A ReLU of a sum that has seen the input is not zero everywhere: zeros are not a block.
    if (!actual.$tensor.data.some((v) => v > 0)) problems.push(msg('judge.block.all-zero'));
  }
  return [
    {
      idSuffix: 'shape-and-relu',
      description: msg('judge.block.description', { stride: String(s), expected: expectedShape.join(', ') }),
      passed: problems.length === 0,
      message: problems.length === 0 ? msg('judge.block.right') : msg('judge.problems', { problems }),
    },
  ];
}

/**
 * "stage 5, identity block b" for row i: from its layer's name (res5b_branch2a, bn5b_branch2a), or,
 * for unnamed layers (activations, additions), from the nearest named layer before it.
 */
function whereInResNet(names: readonly string[], i: number): MessageRef | null {
  for (let j = i; j >= 0; j--) {
    if (!names[j]) continue;
    const m = /^(?:res|bn)(\d)([a-f])_branch/.exec(names[j]);
    return m ? msg(m[2] === 'a' ? 'judge.resnet.where-conv-block' : 'judge.resnet.where-identity-block', { stage: m[1], block: m[2] }) : null;
  }
  return null;
}

/** The old notebook text (and the sample report) gives stage 5's identity blocks [256, 256, 2048]. */
const STAGE5_OLD_TEXT_PARAMS = 17_958_790;
const STAGE5_OLD_FILTERS = msg('judge.resnet.stage5-old-filters');

const COURSE_LAYER_NAME = /^(conv1|bn_conv1|avg_pool|fc\d+|(res|bn)\d[a-f]_branch(1|2[abc]))$/;

async function judgeResNet50(actual: Value, ctx: JudgeContext): Promise<Verdict[]> {
  const expected = ctx.expected;
  if (!isEncodedModel(expected)) throw new Error('resNet50 has no expected summary: run `labgrade fixtures generate`');
  const want: ModelSummary = expected.$model;
  const named = want.names.filter((n) => COURSE_LAYER_NAME.test(n));
  const count = (n: number) => n.toLocaleString('en-US');
  const summaryDescription = msg('judge.resnet.summary-description', { rows: String(want.rows.length), total: count(want.trainableParams + want.nonTrainableParams), trainable: count(want.trainableParams), nonTrainable: count(want.nonTrainableParams) });
  const namesDescription = msg('judge.resnet.names-description', { count: String(named.length) });
  if (!isEncodedModel(actual)) {
    const message = msg(actual === null ? 'judge.resnet.null' : 'judge.resnet.not-model');
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
      message: differences.length === 0 ? msg('judge.resnet.rows-match') : msg('judge.problems', { problems: differences }),
      ...(oldText ? { diagnosis: { mistake: 'stage5-old-filters', message: english(STAGE5_OLD_FILTERS), messageRef: STAGE5_OLD_FILTERS } } : {}),
    },
    {
      idSuffix: 'layer-names',
      description: namesDescription,
      passed: missing.length === 0,
      message: missing.length === 0 ? msg('judge.resnet.names-there') : msg('judge.resnet.names-missing', { count: String(missing.length), examples: missing.slice(0, 5).join(', ') }),
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
  /** Its description is the catalogues' `published.<id>`. */
  id: string;
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
  const named = (ref: MessageRef) => ({ ...scores, published: english(ref), publishedRef: ref });
  for (const weights of publishedWeights()) {
    const name = msg(`published.${weights.id}`);
    if (weights.sha256 === scores.weightsSha256) return named(name);
    const r = sampleCorrelation(scores.weightsSample, weights.sample);
    if (r !== null && r >= SAME_WEIGHTS_CORRELATION) return named(msg('trained.published-made-from', { weights: name, r: r.toFixed(3) }));
    const agreement = channelNormAgreement(scores.channelNorms, weights.channelNorms);
    if (agreement !== null && agreement >= SAME_CHANNEL_NORMS) return named(msg('trained.published-reordered', { weights: name, percent: String(Math.round(agreement * 100)) }));
  }
  return scores;
}

const bandDescription = (band: number, holdout: boolean) => msg(holdout ? 'trained.band-holdout' : 'trained.band-test', { band: String(band) });

const describeScore = (s: ImageSetScore) => msg('trained.score', { accuracy: s.accuracy.toFixed(4), correct: String(s.correct), total: String(s.total) });

/**
 * The three bands' verdicts for a scored model: the held-out accuracy decides where there is one;
 * the public test set's accuracy is labelled for what it is (every student has those images).
 */
export function bandVerdicts(scores: ModelScores): Verdict[] {
  const decisive = scores.holdout ?? scores.test;
  const detail = scores.holdout
    ? msg('trained.holdout-decides', { holdout: describeScore(scores.holdout), test: describeScore(scores.test) })
    : msg('trained.test-decides', { test: describeScore(scores.test), file: scores.file });
  // Unlike Lab 2's model, nothing fixes where a student's own training run started: say so.
  const message = scores.published ? msg('trained.scored-published', { detail, published: scores.publishedRef ?? scores.published }) : msg('trained.scored', { detail });
  return ACCURACY_BANDS.map((band) => ({
    idSuffix: `accuracy-${band}`,
    description: bandDescription(band, scores.holdout !== undefined),
    passed: decisive.accuracy >= band,
    message,
  }));
}

/** Every band failed, with why: the model file could not be read or evaluated. */
function unreadable(message: MessageRef, holdout: boolean): FilesAssessment {
  return { verdicts: ACCURACY_BANDS.map((band) => ({ idSuffix: `accuracy-${band}`, description: bandDescription(band, holdout), passed: false, message })) };
}

async function assessTrainedModel(ctx: FilesContext): Promise<FilesAssessment> {
  const found = readTrainedModel(ctx.files);
  const holdout = ctx.holdoutDir !== undefined;
  if ('missing' in found) return { missing: found.missing };
  if ('problem' in found) return unreadable(msg('trained.problem', { problem: found.problem }), holdout);
  const architecture = loadArchitecture('residual-networks');
  if (!architecture) return unreadable(NO_ARCHITECTURE_REF, holdout);
  const sets = { test: cachedSigns(ctx.dataDir).test, ...(ctx.holdoutDir ? { holdout: cachedHoldout(ctx.holdoutDir) } : {}) };
  const scoring = await scoreModelFile(found.model, architecture, sets, ctx.run, ctx.timeoutMs);
  if ('incomplete' in scoring) return scoring;
  if ('rejected' in scoring) return unreadable(msg('trained.rejected', { problem: scoring.rejected }), holdout);
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
    mistakes: identityMistakes,
  },
  {
    id: 'convolutionalBlock',
    title: 'Convolutional block',
    points: 10,
    graded: true,
    outputNames: ['A'],
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
