/**
 * Lab 2: Convolution model - Application (TensorFlow.js edition).
 *
 * Fill in the code between each `// ### START CODE HERE ###` and `// ### END CODE HERE ###` pair.
 * Do not rename the functions or change their signatures. Images are NHWC (m, 64, 64, 3) scaled
 * to [0, 1]; labels are one-hot (m, 6). The course's helper random_mini_batches comes from
 * `labgrade/course-utils`, as cnn_utils did in the notebook.
 *
 * Part 1 builds the model from tf ops (the TF1 notebook's functions); part 2 builds the same kind
 * of model with the layers API (the 2021 notebook's convolutional_model and happyModel).
 *
 * Check your work with:  npx labgrade check conv-application.ts --data <folder holding signs/>
 * (add --skip-training for a quick check without the 100-epoch training).
 */
import * as tf from '@tensorflow/tfjs';
import { randomMiniBatches } from 'labgrade/course-utils';

export interface Parameters {
  W1: tf.Tensor4D;
  W2: tf.Tensor4D;
  W3: tf.Tensor2D;
  b3: tf.Tensor1D;
}

export interface ModelOptions {
  learningRate?: number;
  numEpochs?: number;
  minibatchSize?: number;
  seed?: number;
  printCost?: boolean;
  /** Where training starts: the grader passes its own, so that every correct model trains the same way. */
  initialParameters?: Parameters;
}

export interface ModelResult {
  parameters: Parameters;
  costs: number[];
  trainAccuracy: number;
  testAccuracy: number;
}

/**
 * W1 [4, 4, 3, 8] and W2 [2, 2, 8, 16] (the conv filters), W3 [64, 6] and b3 [6] (the dense layer).
 * Weights Glorot-uniform (Xavier), seeded; b3 zeros.
 */
export function initializeParameters(seed = 1): Parameters {
  let W1: tf.Tensor4D | null = null;
  let W2: tf.Tensor4D | null = null;
  let W3: tf.Tensor2D | null = null;
  let b3: tf.Tensor1D | null = null;
  // ### START CODE HERE ### (≈ 4 lines)
  // tf.initializers.glorotUniform({ seed }).apply(shape) makes one Glorot-uniform tensor;
  // use a different seed for each weight (e.g. seed, seed + 1, seed + 2). b3 = tf.zeros([6]).
  // ### END CODE HERE ###
  return { W1: W1!, W2: W2!, W3: W3!, b3: b3! };
}

/**
 * CONV2D (stride 1, SAME) → RELU → MAXPOOL (8×8, stride 8, SAME) → CONV2D (stride 1, SAME) → RELU →
 * MAXPOOL (4×4, stride 4, SAME) → FLATTEN → dense layer with no activation. Returns the logits Z3 (m, 6).
 */
export function forwardPropagation(X: tf.Tensor4D, parameters: Parameters): tf.Tensor2D {
  let Z3: tf.Tensor2D | null = null;
  // ### START CODE HERE ### (≈ 9 lines)
  // const { W1, W2, W3, b3 } = parameters;
  // tf.conv2d(X, W1, 1, 'same'), tf.relu, tf.maxPool(A, 8, 8, 'same'), ...
  // Flatten with tf.reshape(P2, [P2.shape[0], -1]), then tf.add(tf.matMul(F, W3), b3).
  // ### END CODE HERE ###
  return Z3!;
}

/** The mean over the examples of the softmax cross-entropy of the logits Z3 with the labels Y. */
export function computeCost(Z3: tf.Tensor2D, Y: tf.Tensor2D): tf.Scalar {
  let cost: tf.Scalar | null = null;
  // ### START CODE HERE ### (≈ 1 line)
  // tf.losses.softmaxCrossEntropy(Y, Z3, undefined, undefined, tf.Reduction.NONE) gives one value per example.
  // ### END CODE HERE ###
  return cost!;
}

function accuracy(X: tf.Tensor4D, Y: tf.Tensor2D, parameters: Parameters): number {
  return tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(forwardPropagation(X, parameters), 1), tf.argMax(Y, 1)), 'float32')).dataSync()[0]);
}

/**
 * Trains the model with Adam on mini-batches: for each epoch, seed += 1, then
 * randomMiniBatches(XTrain, YTrain, minibatchSize, seed). Records the epoch's cost (the mean over
 * its mini-batches, weighted by their sizes) in `costs`, and returns the trained parameters.
 * Training starts from `initial`: the grader passes its own initial parameters, so that every
 * correct model trains the same way (and a grade never depends on a lucky or unlucky seed).
 */
export function model(XTrain: tf.Tensor4D, YTrain: tf.Tensor2D, XTest: tf.Tensor4D, YTest: tf.Tensor2D, options: ModelOptions = {}): ModelResult {
  const { learningRate = 0.009, numEpochs = 100, minibatchSize = 64, printCost = false } = options;
  let seed = options.seed ?? 3;
  const costs: number[] = [];
  let variables: Parameters | null = null;
  // Where training starts: the grader's parameters when it passes them, else your own.
  const initial = options.initialParameters ?? initializeParameters();
  // ### START CODE HERE ###
  // 1. Wrap each of initial's parameters in tf.variable(...).
  // 2. const optimizer = tf.train.adam(learningRate);
  // 3. For each epoch: seed += 1; for each [X, Y] of randomMiniBatches(XTrain, YTrain, minibatchSize, seed):
  //    const cost = optimizer.minimize(() => computeCost(forwardPropagation(X, variables), Y), true);
  //    add cost.dataSync()[0] * X.shape[0] / m to the epoch's cost; dispose cost, X and Y.
  // 4. Push the epoch's cost to costs (print it every 5 epochs when printCost is set).
  void randomMiniBatches;
  void printCost;
  void learningRate;
  void numEpochs;
  void minibatchSize;
  void seed;
  void initial;
  // ### END CODE HERE ###
  return {
    parameters: variables!,
    costs,
    trainAccuracy: accuracy(XTrain, YTrain, variables!),
    testAccuracy: accuracy(XTest, YTest, variables!),
  };
}

/**
 * The same network with the layers API: Input(inputShape) → Conv2D(8, 4×4, stride 1, 'same') → ReLU →
 * MaxPooling2D(8×8, stride 8, 'same') → Conv2D(16, 2×2, stride 1, 'same') → ReLU →
 * MaxPooling2D(4×4, stride 4, 'same') → Flatten → Dense(6, softmax). Returns tf.model({inputs, outputs}).
 */
export function convolutionalModel(inputShape: [number, number, number] = [64, 64, 3]): tf.LayersModel | null {
  let model: tf.LayersModel | null = null;
  // ### START CODE HERE ###
  // const input = tf.input({ shape: inputShape });
  // tf.layers.conv2d({ filters: 8, kernelSize: 4, strides: 1, padding: 'same', kernelInitializer: 'glorotUniform' }).apply(input), ...
  // tfjs starts Conv2D from glorotNormal; the course's Keras model uses glorotUniform.
  void inputShape;
  // ### END CODE HERE ###
  return model;
}

/**
 * A binary classifier (the Happy House): ZeroPadding2D(3, input 64×64×3) → Conv2D(32, 7×7, stride 1)
 * 'conv0' → BatchNormalization(axis 3) 'bn0' → ReLU → MaxPooling2D (2×2) 'max_pool0' → Flatten →
 * Dense(1, sigmoid) 'fc'. Returns a tf.sequential model.
 */
export function happyModel(): tf.Sequential | null {
  let model: tf.Sequential | null = null;
  // ### START CODE HERE ###
  // tf.sequential({ layers: [tf.layers.zeroPadding2d({ padding: 3, inputShape: [64, 64, 3] }), ...] })
  // ### END CODE HERE ###
  return model;
}
