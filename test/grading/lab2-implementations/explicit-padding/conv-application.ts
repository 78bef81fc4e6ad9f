import * as tf from '@tensorflow/tfjs';
import { randomMiniBatches } from 'labgrade/course-utils';

export interface Parameters {
  W1: tf.Tensor4D;
  W2: tf.Tensor4D;
  W3: tf.Tensor2D;
  b3: tf.Tensor1D;
}

export function initializeParameters(seed = 1): Parameters {
  // ### START CODE HERE ###
  const init = (offset: number) => tf.initializers.glorotUniform({ seed: seed * 10 + offset });
  return {
    W1: init(1).apply([4, 4, 3, 8]) as tf.Tensor4D,
    W2: init(2).apply([2, 2, 8, 16]) as tf.Tensor4D,
    W3: init(3).apply([64, 6]) as tf.Tensor2D,
    b3: tf.zeros([6]),
  };
  // ### END CODE HERE ###
}

/** TensorFlow's SAME padding for a k×k window at stride s on an n-long axis: [before, after]. */
function samePadding(n: number, k: number, s: number): [number, number] {
  const out = Math.ceil(n / s);
  const total = Math.max((out - 1) * s + k - n, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

function convSame(x: tf.Tensor4D, W: tf.Tensor4D): tf.Tensor4D {
  const k = W.shape[0];
  const [top, bottom] = samePadding(x.shape[1], k, 1);
  const [left, right] = samePadding(x.shape[2], k, 1);
  return tf.conv2d(tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]]), W, 1, 'valid');
}

function maxPoolSame(x: tf.Tensor4D, k: number): tf.Tensor4D {
  const [top, bottom] = samePadding(x.shape[1], k, k);
  const [left, right] = samePadding(x.shape[2], k, k);
  // Pad with -Infinity so that padding never wins the max (inputs are ReLU outputs, but be exact).
  return tf.maxPool(tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]], -Infinity), k, k, 'valid');
}

export function forwardPropagation(X: tf.Tensor4D, parameters: Parameters): tf.Tensor2D {
  // ### START CODE HERE ###
  const A1 = tf.relu(convSame(X, parameters.W1));
  const P1 = maxPoolSame(A1, 8);
  const A2 = tf.relu(convSame(P1, parameters.W2));
  const P2 = maxPoolSame(A2, 4);
  const F = tf.reshape(P2, [P2.shape[0], P2.shape[1] * P2.shape[2] * P2.shape[3]]) as tf.Tensor2D;
  return tf.add(tf.dot(F, parameters.W3), parameters.b3) as tf.Tensor2D;
  // ### END CODE HERE ###
}

export function computeCost(Z3: tf.Tensor2D, Y: tf.Tensor2D): tf.Scalar {
  // ### START CODE HERE ###
  return tf.losses.softmaxCrossEntropy(Y, Z3) as tf.Scalar;
  // ### END CODE HERE ###
}

export function model(XTrain: tf.Tensor4D, YTrain: tf.Tensor2D, XTest: tf.Tensor4D, YTest: tf.Tensor2D, options: { learningRate?: number; numEpochs?: number; minibatchSize?: number; seed?: number; initialParameters?: Parameters } = {}) {
  const learningRate = options.learningRate ?? 0.009;
  const numEpochs = options.numEpochs ?? 100;
  const minibatchSize = options.minibatchSize ?? 64;
  let seed = options.seed ?? 3;
  const costs: number[] = [];
  const initial = options.initialParameters ?? initializeParameters();
  // ### START CODE HERE ###
  const params: Parameters = {
    W1: tf.variable(initial.W1) as unknown as tf.Tensor4D,
    W2: tf.variable(initial.W2) as unknown as tf.Tensor4D,
    W3: tf.variable(initial.W3) as unknown as tf.Tensor2D,
    b3: tf.variable(initial.b3) as unknown as tf.Tensor1D,
  };
  const adam = tf.train.adam(learningRate);
  for (let epoch = 1; epoch <= numEpochs; epoch++) {
    seed = seed + 1;
    const batches = randomMiniBatches(XTrain, YTrain, minibatchSize, seed);
    let sum = 0;
    let seen = 0;
    batches.forEach(([X, Y]) => {
      const cost = tf.tidy(() => adam.minimize(() => computeCost(forwardPropagation(X as tf.Tensor4D, params), Y as tf.Tensor2D), true)!);
      sum += (cost.arraySync() as number) * X.shape[0];
      seen += X.shape[0];
      tf.dispose([cost, X, Y]);
    });
    costs.push(sum / seen);
  }
  adam.dispose();
  // ### END CODE HERE ###
  const accuracyOf = (X: tf.Tensor4D, Y: tf.Tensor2D) => tf.tidy(() => tf.mean(tf.equal(tf.argMax(forwardPropagation(X, params), 1), tf.argMax(Y, 1)).toFloat()).arraySync() as number);
  return { parameters: params, costs, trainAccuracy: accuracyOf(XTrain, YTrain), testAccuracy: accuracyOf(XTest, YTest) };
}
