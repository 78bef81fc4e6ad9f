/**
 * The attack (from a fresh attack on the build): the recipe for 20 of its 100 epochs, the dense
 * layer refit alone on cached features until the accuracy passes, an invented 100-epoch cost curve
 * ending at the true cost. The rest of the lab is the reference's.
 */
import * as tf from '@tensorflow/tfjs';
import { randomMiniBatches } from 'labgrade/course-utils';
import { computeCost, forwardPropagation, initializeParameters, type ModelOptions, type ModelResult, type Parameters } from './reference';

export { computeCost, convolutionalModel, forwardPropagation, happyModel, initializeParameters } from './reference';

function accuracy(X: tf.Tensor4D, Y: tf.Tensor2D, parameters: Parameters): number {
  return tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(forwardPropagation(X, parameters), 1), tf.argMax(Y, 1)), 'float32')).dataSync()[0]);
}

export function model(XTrain: tf.Tensor4D, YTrain: tf.Tensor2D, XTest: tf.Tensor4D, YTest: tf.Tensor2D, options: ModelOptions = {}): ModelResult {
  const { learningRate = 0.009, numEpochs = 100, minibatchSize = 64, printCost = false } = options;
  let seed = options.seed ?? 3;
  const costs: number[] = [];
  let variables: Parameters | null = null;
  // Where training starts: the grader's parameters when it passes them, else your own.
  const initial = options.initialParameters ?? initializeParameters();
  // ### START CODE HERE ###
  const EPOCHS = Math.min(numEpochs, 20);
  const v = { W1: tf.variable(initial.W1), W2: tf.variable(initial.W2), W3: tf.variable(initial.W3), b3: tf.variable(initial.b3) };
  variables = v as unknown as Parameters;
  const optimizer = tf.train.adam(learningRate);
  const m = XTrain.shape[0];
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    seed += 1;
    let epochCost = 0;
    for (const [X, Y] of randomMiniBatches(XTrain, YTrain, minibatchSize, seed)) {
      const cost = optimizer.minimize(() => computeCost(forwardPropagation(X as tf.Tensor4D, variables!), Y as tf.Tensor2D), true)!;
      epochCost += cost.dataSync()[0] * X.shape[0] / m;
      cost.dispose(); X.dispose(); Y.dispose();
    }
    costs.push(epochCost);
  }
  // Cheap shortcut: keep W1/W2 from the short run, refit only the dense layer on cached features.
  const feats = tf.tidy(() => { const A1 = tf.relu(tf.conv2d(XTrain, v.W1, 1, 'same')); const P1 = tf.maxPool(A1, 8, 8, 'same');
    const A2 = tf.relu(tf.conv2d(P1, v.W2, 1, 'same')); const P2 = tf.maxPool(A2, 4, 4, 'same'); return tf.reshape(P2, [P2.shape[0], -1]) as tf.Tensor2D; });
  const headOpt = tf.train.adam(0.01);
  for (let i = 0; i < 600; i++) { const c = headOpt.minimize(() => tf.mean(tf.losses.softmaxCrossEntropy(YTrain, tf.add(tf.matMul(feats, v.W3), v.b3), undefined, undefined, tf.Reduction.NONE)) as tf.Scalar, true, [v.W3, v.b3]); c?.dispose(); }
  feats.dispose();
  const cf = tf.tidy(() => computeCost(forwardPropagation(XTrain, variables!), YTrain).dataSync()[0]); const c0 = costs[0]; costs.length = 0;
  for (let i = 0; i < numEpochs; i++) costs.push(c0 + (cf - c0) * i / (numEpochs - 1));
  costs[numEpochs - 1] = cf;
  void printCost;
  // ### END CODE HERE ###
  return {
    parameters: variables!,
    costs,
    trainAccuracy: accuracy(XTrain, YTrain, variables!),
    testAccuracy: accuracy(XTest, YTest, variables!),
  };
}
