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
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as tfType from '@tensorflow/tfjs';
import { tf } from '../src/tfjs.js';
import type { ExerciseDefinition, FilesAssessment, JudgeContext, LabDefinition, MistakeDefinition, Verdict } from '../src/engine/lab-definition.js';
import { compareSummaries, type ModelSummary } from '../src/engine/model-summary.js';
import { isEncodedModel, isEncodedTensor, type Value } from '../src/engine/values.js';
import { graderBackend } from '../src/backends/backends.js';
import { distDir } from '../src/paths.js';
import { loadWeightsByName, ModelFileError, readKerasWeights } from '../src/models/keras-h5.js';
import { loadTfjsModelFiles } from '../src/models/tfjs-files.js';
import { evaluateOnSignsTest } from '../src/models/evaluate-signs.js';
import { cachedSigns } from '../src/data/signs.js';

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

/**
 * The trained model a submission may hold: Keras weights (resnet50.h5) or a tfjs model
 * (resnet50/model.json). A link that leads out of the submission folder is refused: the file is
 * read by the grader, and its content could end up in the report.
 */
export function findTrainedModel(dir: string): { file: string } | { problem: string } | null {
  const entries = existsSync(dir) ? readdirSync(dir) : [];
  const h5 = entries.find((e) => e.toLowerCase() === 'resnet50.h5');
  const folder = entries.find((e) => e.toLowerCase() === 'resnet50' && statSync(path.join(dir, e)).isDirectory());
  const file = h5 ? path.join(dir, h5) : folder && existsSync(path.join(dir, folder, 'model.json')) ? path.join(dir, folder, 'model.json') : null;
  if (!file) return null;
  const root = realpathSync(dir);
  const relative = path.relative(root, realpathSync(file));
  if (relative.startsWith('..') || path.isAbsolute(relative)) return { problem: `${path.relative(dir, file)} leads out of the submission folder (a link): put the model file itself in the submission` };
  return { file };
}

/** The course's ResNet50, built by the reference solution (not shipped in the student kit). */
async function referenceResNet50(): Promise<tfType.LayersModel> {
  const compiled = path.join(distDir, 'solutions', 'residual-networks.js');
  if (!existsSync(compiled)) {
    throw new ModelFileError('a Keras weights file needs the course architecture, which this labgrade does not have (a student kit has no solutions): save the model in tfjs format (resnet50/model.json) instead');
  }
  const { resNet50 } = (await import(pathToFileURL(compiled).href)) as { resNet50: () => tfType.LayersModel };
  return resNet50();
}

/**
 * Loads a trained ResNet50 in this process: a tfjs model.json (architecture from the file) or a
 * Keras weights file mapped by layer name onto the course architecture. Reading either runs no
 * submitted code.
 */
export async function loadTrainedResNet50(file: string): Promise<tfType.LayersModel> {
  if (file.toLowerCase().endsWith('.h5')) {
    const weights = readKerasWeights(file);
    const model = await referenceResNet50();
    loadWeightsByName(tf, model, weights, path.basename(file));
    return model;
  }
  return loadTfjsModelFiles(tf, file);
}

export const ACCURACY_BANDS = [0.8, 0.9, 0.95] as const;

const bandDescription = (band: number) => `The trained ResNet50's accuracy on the 120 SIGNS test images, measured by the grader: at least ${band}.`;

/** Every band failed, with why: the model file could not be read or evaluated. */
function unreadable(message: string): FilesAssessment {
  return { verdicts: ACCURACY_BANDS.map((band) => ({ idSuffix: `accuracy-${band}`, description: bandDescription(band), passed: false, message })) };
}

async function assessTrainedModel(submissionDir: string, dataDir: string): Promise<FilesAssessment> {
  const found = findTrainedModel(submissionDir);
  if (!found) return { missing: 'no trained model in the submission: add resnet50.h5 (Keras weights) or resnet50/model.json (tfjs), e.g. as `labgrade train residual-networks` saves it' };
  if ('problem' in found) return unreadable(`${found.problem}.`);
  const { file } = found;
  await graderBackend(tf);
  let result: Awaited<ReturnType<typeof evaluateOnSignsTest>>;
  try {
    const model = await loadTrainedResNet50(file);
    try {
      // Read and checked already (grading checks the data first): no second read per submission.
      result = await evaluateOnSignsTest(tf, model, cachedSigns(dataDir).test);
    } finally {
      model.dispose();
    }
  } catch (err) {
    // Whatever the file holds, it scores 0 here and says why; it never stops the grading.
    const why = err instanceof ModelFileError ? err.message : `${path.basename(file)} could not be evaluated on 64×64×3 images with 6 classes: ${String((err as Error)?.message ?? err).split('\n')[0].slice(0, 300)}`;
    return unreadable(why);
  }
  const detail = `${result.correct} of ${result.total} test images right (${path.basename(file)}, ${(result.durationMs / 1000).toFixed(1)} s)`;
  return {
    verdicts: ACCURACY_BANDS.map((band) => ({
      idSuffix: `accuracy-${band}`,
      description: bandDescription(band),
      passed: result.accuracy >= band,
      message: `Test accuracy ${result.accuracy.toFixed(4)}: ${detail}.`,
    })),
  };
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
    title: 'Trained ResNet50 (test accuracy)',
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
};
