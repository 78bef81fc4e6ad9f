import * as tf from '@tensorflow/tfjs';
import { randomMiniBatches } from 'labgrade/course-utils';

type Parameters = Record<'W1' | 'W2', tf.Tensor4D> & { W3: tf.Tensor2D; b3: tf.Tensor1D };
type ModelOptions = { learningRate?: number; numEpochs?: number; minibatchSize?: number; seed?: number; printCost?: boolean; initialParameters?: Parameters };

function glorot(shape: number[], seed: number): tf.Tensor {
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const limit = Math.sqrt(6 / (shape[shape.length - 2] * receptive + shape[shape.length - 1] * receptive));
  return tf.randomUniform(shape, -limit, limit, 'float32', seed);
}

export function initializeParameters(seed = 1): Parameters {
  // ### START CODE HERE ###
  return {
    W1: glorot([4, 4, 3, 8], seed) as tf.Tensor4D,
    W2: glorot([2, 2, 8, 16], seed + 7) as tf.Tensor4D,
    W3: glorot([64, 6], seed + 13) as tf.Tensor2D,
    b3: tf.zeros([6]) as tf.Tensor1D,
  };
  // ### END CODE HERE ###
}

export function forwardPropagation(X: tf.Tensor4D, parameters: Parameters): tf.Tensor2D {
  // ### START CODE HERE ###
  return tf.tidy(() => {
    const block = (input: tf.Tensor4D, W: tf.Tensor4D, pool: number) => tf.maxPool(tf.relu(tf.conv2d(input, W, [1, 1], 'same')), [pool, pool], [pool, pool], 'same');
    const P2 = block(block(X, parameters.W1, 8), parameters.W2, 4);
    const F = P2.reshape([X.shape[0], -1]) as tf.Tensor2D;
    return F.matMul(parameters.W3).add(parameters.b3) as tf.Tensor2D;
  });
  // ### END CODE HERE ###
}

export function computeCost(Z3: tf.Tensor2D, Y: tf.Tensor2D): tf.Scalar {
  // ### START CODE HERE ###
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(Y, tf.logSoftmax(Z3)), 1))) as tf.Scalar);
  // ### END CODE HERE ###
}

function accuracy(X: tf.Tensor4D, Y: tf.Tensor2D, parameters: Parameters): number {
  return tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(forwardPropagation(X, parameters), 1), tf.argMax(Y, 1)), 'float32')).dataSync()[0]);
}

export function model(XTrain: tf.Tensor4D, YTrain: tf.Tensor2D, XTest: tf.Tensor4D, YTest: tf.Tensor2D, options: ModelOptions = {}) {
  const { learningRate = 0.009, numEpochs = 100, minibatchSize = 64, printCost = false } = options;
  let seed = options.seed ?? 3;
  const costs: number[] = [];
  const initial = options.initialParameters ?? initializeParameters();
  // ### START CODE HERE ###
  const names = ['W1', 'W2', 'W3', 'b3'] as const;
  const vars = Object.fromEntries(names.map((n) => [n, tf.variable(initial[n], true, `p-${n}`)])) as unknown as Record<(typeof names)[number], tf.Variable>;
  const optimizer = tf.train.adam(learningRate);
  const m = XTrain.shape[0];
  for (let epoch = 0; epoch < numEpochs; epoch++) {
    seed += 1;
    let total = 0;
    for (const [X, Y] of randomMiniBatches(XTrain, YTrain, minibatchSize, seed)) {
      const { value, grads } = tf.variableGrads(() => computeCost(forwardPropagation(X as tf.Tensor4D, vars as unknown as Parameters), Y as tf.Tensor2D));
      optimizer.applyGradients(grads as never);
      total += value.dataSync()[0] * X.shape[0];
      tf.dispose([value, X, Y, ...Object.values(grads)]);
    }
    costs.push(total / m);
    if (printCost && epoch % 5 === 0) console.log(`Cost after epoch ${epoch}: ${total / m}`);
  }
  optimizer.dispose();
  const parameters = Object.fromEntries(names.map((n) => [n, vars[n].clone()])) as unknown as Parameters;
  // ### END CODE HERE ###
  return { parameters, costs, trainAccuracy: accuracy(XTrain, YTrain, parameters), testAccuracy: accuracy(XTest, YTest, parameters) };
}
