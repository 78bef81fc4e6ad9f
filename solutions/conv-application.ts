/**
 * Reference solution of Lab 2, "Convolution model - Application": the TF1-era functions of the
 * sample report (initializeParameters, forwardPropagation, computeCost, model) in tfjs ops, and
 * the 2021 course's Keras-style models (convolutionalModel, happyModel) in tfjs-layers.
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

export function initializeParameters(seed = 1): Parameters {
  // ### START CODE HERE ###
  const glorot = (shape: number[], offset: number) => tf.initializers.glorotUniform({ seed: seed + offset }).apply(shape);
  const W1 = glorot([4, 4, 3, 8], 0) as tf.Tensor4D;
  const W2 = glorot([2, 2, 8, 16], 1) as tf.Tensor4D;
  const W3 = glorot([64, 6], 2) as tf.Tensor2D;
  const b3 = tf.zeros([6]) as tf.Tensor1D;
  // ### END CODE HERE ###
  return { W1, W2, W3, b3 };
}

export function forwardPropagation(X: tf.Tensor4D, parameters: Parameters): tf.Tensor2D {
  const { W1, W2, W3, b3 } = parameters;
  // ### START CODE HERE ###
  const Z1 = tf.conv2d(X, W1, 1, 'same');
  const A1 = tf.relu(Z1);
  const P1 = tf.maxPool(A1, 8, 8, 'same');
  const Z2 = tf.conv2d(P1, W2, 1, 'same');
  const A2 = tf.relu(Z2);
  const P2 = tf.maxPool(A2, 4, 4, 'same');
  const F = tf.reshape(P2, [P2.shape[0], -1]) as tf.Tensor2D;
  const Z3 = tf.add(tf.matMul(F, W3), b3) as tf.Tensor2D;
  // ### END CODE HERE ###
  return Z3;
}

export function computeCost(Z3: tf.Tensor2D, Y: tf.Tensor2D): tf.Scalar {
  // ### START CODE HERE ###
  const cost = tf.mean(tf.losses.softmaxCrossEntropy(Y, Z3, undefined, undefined, tf.Reduction.NONE)) as tf.Scalar;
  // ### END CODE HERE ###
  return cost;
}

function accuracy(X: tf.Tensor4D, Y: tf.Tensor2D, parameters: Parameters): number {
  return tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(forwardPropagation(X, parameters), 1), tf.argMax(Y, 1)), 'float32')).dataSync()[0]);
}

export function model(XTrain: tf.Tensor4D, YTrain: tf.Tensor2D, XTest: tf.Tensor4D, YTest: tf.Tensor2D, options: ModelOptions = {}): ModelResult {
  const { learningRate = 0.009, numEpochs = 100, minibatchSize = 64, printCost = false } = options;
  let seed = options.seed ?? 3;
  const costs: number[] = [];
  // Where training starts: the grader's parameters when it passes them, else our own.
  const initial = options.initialParameters ?? initializeParameters();
  // ### START CODE HERE ###
  const variables = {
    W1: tf.variable(initial.W1),
    W2: tf.variable(initial.W2),
    W3: tf.variable(initial.W3),
    b3: tf.variable(initial.b3),
  } as Parameters;
  const optimizer = tf.train.adam(learningRate);
  const m = XTrain.shape[0];
  for (let epoch = 0; epoch < numEpochs; epoch++) {
    seed += 1;
    const minibatches = randomMiniBatches(XTrain, YTrain, minibatchSize, seed);
    let epochCost = 0;
    for (const [X, Y] of minibatches) {
      const cost = optimizer.minimize(() => computeCost(forwardPropagation(X as tf.Tensor4D, variables), Y as tf.Tensor2D), true);
      epochCost += (cost!.dataSync()[0] * X.shape[0]) / m;
      tf.dispose([cost!, X, Y]);
    }
    costs.push(epochCost);
    if (printCost && epoch % 5 === 0) console.log(`Cost after epoch ${epoch}: ${epochCost.toFixed(6)}`);
  }
  optimizer.dispose();
  // ### END CODE HERE ###
  return {
    parameters: variables,
    costs,
    trainAccuracy: accuracy(XTrain, YTrain, variables),
    testAccuracy: accuracy(XTest, YTest, variables),
  };
}

export function convolutionalModel(inputShape: [number, number, number] = [64, 64, 3]): tf.LayersModel {
  // ### START CODE HERE ###
  const input = tf.input({ shape: inputShape });
  let x = tf.layers.conv2d({ filters: 8, kernelSize: 4, strides: 1, padding: 'same', kernelInitializer: 'glorotUniform' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 8, strides: 8, padding: 'same' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 16, kernelSize: 2, strides: 1, padding: 'same', kernelInitializer: 'glorotUniform' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 4, strides: 4, padding: 'same' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: 6, activation: 'softmax' }).apply(x) as tf.SymbolicTensor;
  // ### END CODE HERE ###
  return tf.model({ inputs: input, outputs: output });
}

export function happyModel(): tf.Sequential {
  // ### START CODE HERE ###
  return tf.sequential({
    layers: [
      tf.layers.zeroPadding2d({ padding: 3, inputShape: [64, 64, 3] }),
      tf.layers.conv2d({ filters: 32, kernelSize: 7, strides: 1, kernelInitializer: 'glorotUniform', name: 'conv0' }),
      tf.layers.batchNormalization({ axis: 3, name: 'bn0' }),
      tf.layers.reLU(),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'max_pool0' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'fc' }),
    ],
  });
  // ### END CODE HERE ###
}
