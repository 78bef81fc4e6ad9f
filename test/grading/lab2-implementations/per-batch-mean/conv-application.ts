import * as tf from '@tensorflow/tfjs';
import { randomMiniBatches } from 'labgrade/course-utils';

type Parameters = { W1: tf.Tensor4D; W2: tf.Tensor4D; W3: tf.Tensor2D; b3: tf.Tensor1D };

export function initializeParameters(seed = 1): Parameters {
  // ### START CODE HERE ###
  const glorot = tf.initializers.glorotUniform;
  const W1 = glorot({ seed }).apply([4, 4, 3, 8]) as tf.Tensor4D;
  const W2 = glorot({ seed: seed + 100 }).apply([2, 2, 8, 16]) as tf.Tensor4D;
  const W3 = glorot({ seed: seed + 200 }).apply([64, 6]) as tf.Tensor2D;
  const b3 = tf.zeros([6]) as tf.Tensor1D;
  // ### END CODE HERE ###
  return { W1, W2, W3, b3 };
}

export function forwardPropagation(X: tf.Tensor4D, { W1, W2, W3, b3 }: Parameters): tf.Tensor2D {
  // ### START CODE HERE ###
  let a: tf.Tensor4D = X;
  for (const [W, pool] of [[W1, 8], [W2, 4]] as [tf.Tensor4D, number][]) {
    a = tf.maxPool(tf.relu(tf.conv2d(a, W, 1, 'same')), pool, pool, 'same');
  }
  const flat = tf.reshape(a, [a.shape[0], -1]) as tf.Tensor2D;
  // ### END CODE HERE ###
  return tf.add(tf.matMul(flat, W3), b3);
}

export function computeCost(Z3: tf.Tensor2D, Y: tf.Tensor2D): tf.Scalar {
  // ### START CODE HERE ###
  const perExample = tf.losses.softmaxCrossEntropy(Y, Z3, undefined, undefined, tf.Reduction.NONE);
  return perExample.mean() as tf.Scalar;
  // ### END CODE HERE ###
}

export function model(XTrain: tf.Tensor4D, YTrain: tf.Tensor2D, XTest: tf.Tensor4D, YTest: tf.Tensor2D, options: { learningRate?: number; numEpochs?: number; minibatchSize?: number; seed?: number; initialParameters?: Parameters } = {}) {
  const { learningRate = 0.009, numEpochs = 100, minibatchSize = 64 } = options;
  let seed = options.seed ?? 3;
  const costs: number[] = [];
  const initial = options.initialParameters ?? initializeParameters();
  // ### START CODE HERE ###
  const names: (keyof Parameters)[] = ['W1', 'W2', 'W3', 'b3'];
  const variables = names.map((name) => tf.variable(initial[name], true, `lab2-${name}`));
  const current = () => Object.fromEntries(names.map((name, i) => [name, variables[i]])) as unknown as Parameters;
  const optimizer = tf.train.adam(learningRate);
  const gradient = tf.grads((W1: tf.Tensor, W2: tf.Tensor, W3: tf.Tensor, b3: tf.Tensor, X: tf.Tensor, Y: tf.Tensor) =>
    computeCost(forwardPropagation(X as tf.Tensor4D, { W1, W2, W3, b3 } as Parameters), Y as tf.Tensor2D),
  );
  for (let epoch = 0; epoch < numEpochs; epoch++) {
    seed++;
    const batchCosts: [number, number][] = [];
    for (const [X, Y] of randomMiniBatches(XTrain, YTrain, minibatchSize, seed)) {
      const grads = gradient([...variables, X, Y]);
      const named = Object.fromEntries(names.map((name, i) => [`lab2-${name}`, grads[i]]));
      const cost = tf.tidy(() => computeCost(forwardPropagation(X as tf.Tensor4D, current()), Y as tf.Tensor2D));
      batchCosts.push([cost.dataSync()[0], X.shape[0]]);
      optimizer.applyGradients(named as never);
      tf.dispose([cost, X, Y, ...grads]);
    }
    const examples = batchCosts.reduce((n, [, size]) => n + size, 0);
    costs.push(batchCosts.reduce((s, [c, size]) => s + c * size, 0) / examples);
  }
  optimizer.dispose();
  // ### END CODE HERE ###
  const trained = current();
  const accuracy = (X: tf.Tensor4D, Y: tf.Tensor2D) => tf.tidy(() => tf.argMax(forwardPropagation(X, trained), 1).equal(tf.argMax(Y, 1)).sum().dataSync()[0] / X.shape[0]);
  return { parameters: trained, costs, trainAccuracy: accuracy(XTrain, YTrain), testAccuracy: accuracy(XTest, YTest) };
}
