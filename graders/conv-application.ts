/**
 * Lab 2, "Convolution model - Application": the sample report's TF1-era functions in tfjs ops
 * (initializeParameters, forwardPropagation, computeCost, model) and the 2021 course's
 * tfjs-layers models (convolutionalModel, happyModel).
 *
 * Points (50): initializeParameters 5, forwardPropagation 10, computeCost 5, model 15 (trained on
 * the real SIGNS data), convolutionalModel 10, happyModel 5.
 *
 * The course's printed W1/W2 values, Z3 and cost 2.91034 come from TensorFlow's random streams
 * (xavier_initializer(seed=0), fully_connected's own weights): tfjs cannot reproduce them. The
 * checks say so, and test with fixed parameters from numpy-compatible draws instead.
 */
import type * as tfType from '@tensorflow/tfjs';
import { tf } from '../src/tfjs.js';
import type { ExerciseDefinition, JudgeContext, LabDefinition, MistakeDefinition, Verdict } from '../src/engine/lab-definition.js';
import type { TrainingMetrics } from '../src/engine/model.js';
import { isEncodedModel, isEncodedTensor, isUnsupported, type EncodedTensor, type Value } from '../src/engine/values.js';
import { graderBackend } from '../src/backends/backends.js';
import { signsTensors, type DatasetName } from '../src/data/dataset-tensors.js';
import { glorotLimit } from '../src/fixtures/recipes.js';

type T4 = tfType.Tensor4D;
type T2 = tfType.Tensor2D;
interface Params {
  W1: T4;
  W2: T4;
  W3: T2;
  b3: tfType.Tensor1D;
}

/** The course's architecture, as the grader's own evaluator of returned parameters. */
function courseLogits(X: T4, p: Params, pools: { first: 'max' | 'avg'; relu: boolean; bias: boolean } = { first: 'max', relu: true, bias: true }): T2 {
  const act = (t: T4) => (pools.relu ? tf.relu(t) : t);
  const pool = (t: T4, k: number) => (pools.first === 'max' ? tf.maxPool(t, k, k, 'same') : tf.avgPool(t, k, k, 'same'));
  const P1 = pool(act(tf.conv2d(X, p.W1, 1, 'same')), 8);
  const P2 = pool(act(tf.conv2d(P1, p.W2, 1, 'same')), 4);
  const logits = tf.matMul(tf.reshape(P2, [P2.shape[0], -1]) as T2, p.W3);
  return (pools.bias ? tf.add(logits, p.b3) : logits) as T2;
}

const forwardArgs = (args: unknown[]) => args as [T4, Params];

const forwardMistakes: MistakeDefinition[] = [
  {
    id: 'no-relu',
    message: 'The ReLU after each convolution is missing: conv → ReLU → max-pool, twice.',
    variant: ({ args }) => courseLogits(...forwardArgs(args), { first: 'max', relu: false, bias: true }),
  },
  {
    id: 'average-pooling',
    message: 'You used average pooling. This model uses max pooling (tf.maxPool), 8×8 stride 8, then 4×4 stride 4.',
    variant: ({ args }) => courseLogits(...forwardArgs(args), { first: 'avg', relu: true, bias: true }),
  },
  {
    id: 'no-bias',
    message: 'The dense layer\'s bias b3 is not added: Z3 = F·W3 + b3.',
    variant: ({ args }) => courseLogits(...forwardArgs(args), { first: 'max', relu: true, bias: false }),
  },
  {
    id: 'relu-on-logits',
    message: 'You applied a ReLU to the output. The last layer is linear: return the logits, the cost applies the softmax.',
    variant: ({ args }) => tf.relu(courseLogits(...forwardArgs(args))),
  },
  {
    id: 'softmax-on-logits',
    message: 'You returned softmax probabilities. Return the logits Z3: computeCost applies the softmax itself.',
    variant: ({ args }) => tf.softmax(courseLogits(...forwardArgs(args))),
  },
];

const costArgs = (args: unknown[]) => args as [T2, T2];
const perExampleCE = (Y: T2, Z: T2) => tf.losses.softmaxCrossEntropy(Y, Z, undefined, undefined, tf.Reduction.NONE);

const costMistakes: MistakeDefinition[] = [
  {
    id: 'sum-not-mean',
    message: 'You summed the cross-entropy over the examples. The cost is its mean (tf.mean).',
    variant: ({ args }) => tf.sum(perExampleCE(costArgs(args)[1], costArgs(args)[0])),
  },
  {
    id: 'sigmoid-cross-entropy',
    message: 'You used the sigmoid cross-entropy. Six exclusive classes need the softmax cross-entropy.',
    variant: ({ args }) => tf.losses.sigmoidCrossEntropy(costArgs(args)[1], costArgs(args)[0]),
  },
  {
    id: 'softmax-twice',
    message: 'You applied a softmax before the softmax cross-entropy: pass the logits Z3 as they are.',
    variant: ({ args }) => tf.mean(perExampleCE(costArgs(args)[1], tf.softmax(costArgs(args)[0]))),
  },
  {
    id: 'labels-logits-swapped',
    message: 'The labels and logits are swapped: tf.losses.softmaxCrossEntropy(Y, Z3) takes the labels first.',
    variant: ({ args }) => tf.mean(perExampleCE(costArgs(args)[0], costArgs(args)[1])),
  },
];

const PARAMETER_SHAPES: Record<keyof Params, number[]> = { W1: [4, 4, 3, 8], W2: [2, 2, 8, 16], W3: [64, 6], b3: [6] };

function asObject(v: Value): Record<string, Value> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !isEncodedTensor(v) && !isEncodedModel(v) && !isUnsupported(v) ? (v as Record<string, Value>) : null;
}

/** The four parameters with the course's shapes, or what is wrong with them. */
function readParameters(v: Value | undefined): { params: Record<keyof Params, EncodedTensor> } | { problem: string } {
  const obj = v === undefined ? null : asObject(v);
  if (!obj) return { problem: 'the parameters are not an object {W1, W2, W3, b3}' };
  const params = {} as Record<keyof Params, EncodedTensor>;
  for (const [name, shape] of Object.entries(PARAMETER_SHAPES) as [keyof Params, number[]][]) {
    const t = obj[name];
    if (t === undefined) return { problem: `${name} is missing` };
    if (!isEncodedTensor(t)) return { problem: `${name} is not a tensor` };
    if (t.$tensor.dtype !== 'float32') return { problem: `${name} is ${t.$tensor.dtype}, expected float32` };
    if (t.$tensor.shape.join() !== shape.join()) return { problem: `${name} has shape [${t.$tensor.shape.join(', ')}], expected [${shape.join(', ')}]` };
    params[name] = t;
  }
  return { params };
}

/** Glorot-uniform weights lie in ±√(6 / (fan_in + fan_out)) and spread like a uniform there. */
function glorotProblem(name: string, t: EncodedTensor): string | null {
  const limit = glorotLimit(t.$tensor.shape);
  const data = t.$tensor.data;
  const outside = data.filter((x) => !(Math.abs(x) <= limit * (1 + 1e-6))).length;
  if (outside > 0) return `${outside} values of ${name} lie outside the Glorot-uniform range ±${limit.toFixed(4)}`;
  const mean = data.reduce((s, x) => s + x, 0) / data.length;
  const std = Math.sqrt(data.reduce((s, x) => s + (x - mean) ** 2, 0) / data.length);
  const expected = limit / Math.sqrt(3);
  if (std < 0.75 * expected || std > 1.25 * expected) return `${name}'s spread (std ${std.toFixed(4)}) is not a Glorot-uniform one (about ${expected.toFixed(4)})`;
  return null;
}

async function judgeInitialParameters(actual: Value): Promise<Verdict[]> {
  const read = readParameters(actual);
  const problems = 'problem' in read ? [read.problem] : [];
  if ('params' in read) {
    for (const name of ['W1', 'W2', 'W3'] as const) {
      const p = glorotProblem(name, read.params[name]);
      if (p) problems.push(p);
    }
    if (read.params.b3.$tensor.data.some((x) => x !== 0)) problems.push('b3 should start at zeros');
  }
  return [
    {
      idSuffix: 'glorot',
      description: 'W1 [4, 4, 3, 8], W2 [2, 2, 8, 16], W3 [64, 6] Glorot-uniform and b3 zeros. The course prints W1[1, 1, 1] from TensorFlow\'s xavier_initializer(seed=0), which tfjs cannot reproduce: shapes, dtypes and the Glorot range are checked instead.',
      passed: problems.length === 0,
      message: problems.length === 0 ? 'The parameters have the right shapes and a Glorot-uniform spread.' : `${problems.join('; ')}.`,
    },
  ];
}

/** SIGNS tensors for evaluating returned parameters, read once per datasets folder and relabelling. */
const evaluationData = new Map<string, Record<DatasetName, tfType.Tensor>>();

function evaluationTensors(dataDir: string, relabel: readonly number[] | undefined): Record<DatasetName, tfType.Tensor> {
  const key = `${dataDir}@${relabel?.join(',') ?? ''}`;
  if (!evaluationData.has(key)) evaluationData.set(key, signsTensors(tf, dataDir, relabel));
  return evaluationData.get(key)!;
}

/** What the grader measures of returned parameters on one split: accuracy, and (train) the mean cross-entropy cost. */
interface SplitMeasure {
  accuracy: number;
  cost: number;
}

/** The course architecture with these parameters on one split, computed here, not by the submission. */
async function measureSplit(params: Record<keyof Params, EncodedTensor>, dataDir: string, split: 'train' | 'test', relabel: readonly number[] | undefined): Promise<SplitMeasure> {
  // The grader's own tfjs: the fastest backend here (this runs no student code).
  await graderBackend(tf);
  const data = evaluationTensors(dataDir, relabel);
  const X = data[`signs/${split}/x`] as T4;
  const Y = data[`signs/${split}/y`] as T2;
  const [correct, cost] = tf.tidy(() => {
    const p = Object.fromEntries(Object.entries(params).map(([k, t]) => [k, tf.tensor(t.$tensor.data, t.$tensor.shape)])) as unknown as Params;
    const logits = courseLogits(X, p);
    const hits = tf.equal(tf.argMax(logits, 1), tf.argMax(Y, 1));
    return [tf.sum(tf.cast(hits, 'float32')), tf.mean(perExampleCE(Y, logits))];
  });
  const [n, c] = await Promise.all([correct.data(), cost.data()]);
  tf.dispose([correct, cost]);
  return { accuracy: n[0] / X.shape[0], cost: c[0] };
}

/** Pearson's correlation of two equally long arrays (0 where either is constant). */
function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/**
 * Training moves the weights from where they start, but not so far that they forget it, and 100
 * epochs of Adam at the recipe's learning rate move them about as far in every correct
 * implementation: each of W1, W2, W3 keeps a correlation of 0.29 to 0.43 with its start in every
 * run measured (docs/lab2-training.md). Parameters made apart from this start (pasted in, or from
 * the student's own initialization) are not correlated with it (|r| ≤ 0.10 measured; ~0.05 by
 * chance for weights of these sizes), and parameters that moved too little (no update step, the
 * learning rate ignored: r 0.5 to 1.0) have not trained as the recipe says.
 */
export const START_CORRELATION = { atLeast: 0.15, atMost: 0.6 };
/** Below every correct implementation measured (train 0.859 to 0.892, test 0.708 to 0.767), with a margin of 5 test images. */
export const TRAIN_ACCURACY_THRESHOLD = 0.8;
export const TEST_ACCURACY_THRESHOLD = 0.65;
/** The last epoch's cost, as the submission reports it, next to the grader's cost of the returned parameters: an average over the epoch's batches, so a little above, never many times off. */
export const COST_AGREEMENT = { atMost: 1.6, atLeast: 0.6 };

function numberOrUndefined(v: Value | undefined): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The cost falls: every epoch's cost is finite, and the last five average under 60% of the first five. */
function costProblem(costs: (number | null)[], epochs: number): string | null {
  if (costs.length !== epochs) return `costs has ${costs.length} entries; expected one per epoch (${epochs})`;
  const broken = costs.findIndex((c) => c === null);
  if (broken >= 0) return `the cost is NaN or infinite from epoch ${broken} on (is the learning rate right?)`;
  const values = costs as number[];
  const head = values.slice(0, 5).reduce((s, c) => s + c, 0) / Math.min(5, values.length);
  const tail = values.slice(-5).reduce((s, c) => s + c, 0) / Math.min(5, values.length);
  if (!(tail < 0.6 * head)) return `the cost did not fall enough: the first epochs average ${head.toFixed(4)}, the last ${tail.toFixed(4)}`;
  return null;
}

/** Whether the reported cost is the cost these parameters have (it averages the last epoch's batches, so it is a little higher). */
function costAgreementProblem(reported: number, measured: number): string | null {
  const ratio = reported / measured;
  if (ratio >= COST_AGREEMENT.atLeast && ratio <= COST_AGREEMENT.atMost) return null;
  const why = ratio > 1 ? ' (is the cost summed over the examples instead of averaged?)' : '';
  return `the last epoch's reported cost ${reported.toFixed(4)} is not the cost of the returned parameters, which the grader measures as ${measured.toFixed(4)} on the training set${why}`;
}

type ModelArgs = [unknown, { relabel?: number[] } | undefined, unknown, unknown, { numEpochs?: number; initialParameters?: Record<string, Value> } | undefined];

async function judgeTraining(actual: Value, ctx: JudgeContext): Promise<Verdict[]> {
  const [, trainLabels, , , options = {}] = ctx.args as ModelArgs;
  const relabel = trainLabels?.relabel;
  const epochs = options.numEpochs ?? 100;
  const obj = asObject(actual);
  const rawCosts = obj && Array.isArray(obj.costs) ? obj.costs : [];
  const costs = rawCosts.map((c) => (typeof c === 'number' && Number.isFinite(c) ? c : null));
  const read = readParameters(obj?.parameters);
  const start = readParameters(options.initialParameters as Value | undefined);
  const metrics: TrainingMetrics = {
    ...(ctx.reveal ? {} : { hiddenCase: true }),
    costs,
    epochs,
    durationMs: Math.round(ctx.durationMs),
    ...(ctx.backend ? { backend: ctx.backend } : {}),
    ...(numberOrUndefined(obj?.trainAccuracy) !== undefined ? { reportedTrainAccuracy: numberOrUndefined(obj?.trainAccuracy) } : {}),
    ...(numberOrUndefined(obj?.testAccuracy) !== undefined ? { reportedTestAccuracy: numberOrUndefined(obj?.testAccuracy) } : {}),
  };
  const startDescription = `Trained from the grader's initial parameters (options.initialParameters) as the recipe trains: each of W1, W2 and W3 keeps a correlation between ${START_CORRELATION.atLeast} and ${START_CORRELATION.atMost} with where it started, as every correct run does; parameters made elsewhere keep none, and parameters that barely moved (no update, the learning rate ignored) keep more.`;
  const costDescription = `The cost after each of the ${epochs} epochs is finite and falls (the last five average under 60% of the first five), and the last one is the cost of the returned parameters (the grader measures it).`;
  const accuracyDescription = (split: 'train' | 'test') =>
    `Accuracy on the ${split} set (${split === 'train' ? '1080' : '120'} images${relabel ? ', classes relabelled by the grader' : ''}) of the returned parameters, measured by the grader: at least ${split === 'train' ? TRAIN_ACCURACY_THRESHOLD : TEST_ACCURACY_THRESHOLD} (from the accuracies correct implementations reach; docs/lab2-training.md).`;
  // A hidden case's words are fixed: numbers measured on its secret labels could carry them out.
  const HIDDEN = {
    notFromStart: 'The returned parameters did not come from training that started at options.initialParameters: start from them when they are given, train those variables and return them.',
    barelyMoved: 'The returned parameters barely moved from where they started: is the update step applied, with options.learningRate, and are the trained variables returned?',
    cost: 'The reported costs are not finite, do not fall, or are not the cost of the returned parameters.',
    accuracy: 'The accuracy the grader measures for the returned parameters is below the threshold.',
    unreadable: 'The result cannot be evaluated (model must return {parameters, costs, trainAccuracy, testAccuracy} with the course\'s shapes).',
  };
  const allFail = (why: string, hiddenMessage: string): Verdict[] => [
    { idSuffix: 'from-start', description: startDescription, passed: false, message: why, hiddenMessage, metrics },
    { idSuffix: 'cost-falls', description: costDescription, passed: false, message: why, hiddenMessage },
    { idSuffix: 'train-accuracy', description: accuracyDescription('train'), passed: false, message: why, hiddenMessage },
    { idSuffix: 'test-accuracy', description: accuracyDescription('test'), passed: false, message: why, hiddenMessage },
  ];
  if (obj === null) return allFail('model must return {parameters, costs, trainAccuracy, testAccuracy}.', HIDDEN.unreadable);
  if ('problem' in read) return allFail(`The returned parameters cannot be evaluated: ${read.problem}.`, HIDDEN.unreadable);
  if ('problem' in start) throw new Error(`the model case passes no initial parameters: ${start.problem}`);
  if (!ctx.dataDir) return allFail('The dataset is not available.', 'The dataset is not available.');
  const correlations = Object.fromEntries((['W1', 'W2', 'W3'] as const).map((name) => [name, correlation(read.params[name].$tensor.data, start.params[name].$tensor.data)])) as Record<'W1' | 'W2' | 'W3', number>;
  metrics.startCorrelations = correlations;
  const train = await measureSplit(read.params, ctx.dataDir, 'train', relabel);
  const test = await measureSplit(read.params, ctx.dataDir, 'test', relabel);
  metrics.trainAccuracy = train.accuracy;
  metrics.testAccuracy = test.accuracy;
  metrics.trainCost = train.cost;
  // Where training started decides whether the rest counts: parameters from elsewhere prove no training.
  const outside = (Object.entries(correlations) as [string, number][]).find(([, r]) => !(r >= START_CORRELATION.atLeast && r <= START_CORRELATION.atMost));
  if (outside) {
    const [name, r] = outside;
    return r < START_CORRELATION.atLeast
      ? allFail(
          `The returned parameters did not come from training that started at options.initialParameters: ${name} has correlation ${r.toFixed(3)} with its start (trained runs keep at least ${START_CORRELATION.atLeast}). Start from options.initialParameters when it is given (const initial = options.initialParameters ?? initializeParameters()), train those variables and return them; nothing else counts.`,
          HIDDEN.notFromStart,
        )
      : allFail(
          `The returned parameters barely moved from where they started: ${name} has correlation ${r.toFixed(3)} with its start, where 100 epochs of Adam at the given learning rate leave at most ${START_CORRELATION.atMost}. Is the update step applied, with options.learningRate (tf.train.adam(learningRate)), and are the trained variables returned?`,
          HIDDEN.barelyMoved,
        );
  }
  const last = costs[costs.length - 1];
  const costIssue = !Array.isArray(obj.costs) ? 'costs is not an array of numbers' : (costProblem(costs, epochs) ?? (last === null || last === undefined ? null : costAgreementProblem(last, train.cost)));
  const claim = (reported: number | undefined, measured: number) => (reported !== undefined && Math.abs(reported - measured) > 0.005 ? ` (model reported ${reported.toFixed(4)}; the grader measures the returned parameters)` : '');
  const accuracyVerdict = (split: 'train' | 'test', measured: number, threshold: number, reported: number | undefined): Verdict => ({
    idSuffix: `${split}-accuracy`,
    description: accuracyDescription(split),
    passed: measured >= threshold,
    message: `${split === 'train' ? 'Train' : 'Test'} accuracy ${measured.toFixed(4)}${measured >= threshold ? ' reaches' : ' is below'} ${threshold}${claim(reported, measured)}.`,
    ...(measured >= threshold ? {} : { hiddenMessage: HIDDEN.accuracy }),
  });
  return [
    { idSuffix: 'from-start', description: startDescription, passed: true, message: `Trained from the given start: correlations W1 ${correlations.W1.toFixed(3)}, W2 ${correlations.W2.toFixed(3)}, W3 ${correlations.W3.toFixed(3)}.`, metrics },
    {
      idSuffix: 'cost-falls',
      description: costDescription,
      passed: costIssue === null,
      message: costIssue === null ? `The cost fell from ${costs[0]?.toFixed(4)} to ${last?.toFixed(4)} (the grader measures ${train.cost.toFixed(4)} for the returned parameters).` : `${costIssue}.`,
      ...(costIssue === null ? {} : { hiddenMessage: HIDDEN.cost }),
    },
    accuracyVerdict('train', train.accuracy, TRAIN_ACCURACY_THRESHOLD, metrics.reportedTrainAccuracy),
    accuracyVerdict('test', test.accuracy, TEST_ACCURACY_THRESHOLD, metrics.reportedTestAccuracy),
  ];
}

const exercises: ExerciseDefinition[] = [
  {
    id: 'initializeParameters',
    title: 'Initialize parameters',
    points: 5,
    graded: true,
    outputNames: ['parameters'],
    mistakes: [],
    judge: judgeInitialParameters,
  },
  {
    id: 'forwardPropagation',
    title: 'Forward propagation',
    points: 10,
    graded: true,
    outputNames: ['Z3'],
    hint: 'CONV2D (stride 1, SAME) → RELU → MAXPOOL (8×8, stride 8, SAME) → CONV2D (stride 1, SAME) → RELU → MAXPOOL (4×4, stride 4, SAME) → FLATTEN → dense (no activation). Flatten with the batch size of X, not a fixed number.',
    mistakes: forwardMistakes,
  },
  {
    id: 'computeCost',
    title: 'Compute cost',
    points: 5,
    graded: true,
    outputNames: ['cost'],
    hint: 'The mean over the examples of the softmax cross-entropy of the logits Z3 with the labels Y.',
    mistakes: costMistakes,
  },
  {
    id: 'model',
    title: 'Model (training on SIGNS)',
    points: 15,
    graded: true,
    outputNames: ['result'],
    mistakes: [],
    judge: judgeTraining,
    trains: true,
    timeoutMs: 20 * 60_000,
  },
  {
    id: 'convolutionalModel',
    title: 'Convolutional model (layers API)',
    points: 10,
    graded: true,
    outputNames: ['model'],
    mistakes: [],
  },
  {
    id: 'happyModel',
    title: 'Happy model (layers API)',
    points: 5,
    graded: true,
    outputNames: ['model'],
    mistakes: [],
  },
];

export const convApplication: LabDefinition = {
  id: 'conv-application',
  title: 'Convolution model - Application',
  file: 'conv-application.ts',
  points: 50,
  exercises,
  tolerance: { rtol: 1e-4, atol: 1e-5 },
  timeouts: { exerciseMs: 60_000, labMs: 30 * 60_000 },
  solution: 'solutions/conv-application.ts',
};
