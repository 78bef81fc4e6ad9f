/**
 * Reference solution of Lab 3, "Residual Networks": the identity and convolutional blocks and
 * ResNet50 in the tfjs-layers functional API, with the course's layer names (res2a_branch2a,
 * bn2a_branch2a, res2a_branch1, conv1, bn_conv1, avg_pool, fc6, ...). The blocks work on symbolic
 * inputs (to build a model) and on tensors (applied at once, as the course's tests do).
 */
import * as tf from '@tensorflow/tfjs';

type LayerInput = tf.SymbolicTensor | tf.Tensor;
type Initializer = ReturnType<typeof tf.initializers.glorotUniform>;

export interface BlockOptions {
  /** BatchNormalization's mode: true uses the batch's statistics, false the moving ones. Unset: the model's mode. */
  training?: boolean;
  /** The convolutions' kernel initializer, e.g. 'ones' (the course's constant-1 checks). */
  initializer?: string;
}

function convInitializer(options: BlockOptions, fallback: () => Initializer): Initializer | 'ones' | 'zeros' {
  return (options.initializer as 'ones' | 'zeros' | undefined) ?? fallback();
}

function applied(layer: tf.layers.Layer, x: LayerInput | LayerInput[], options: BlockOptions = {}): LayerInput {
  return layer.apply(x as tf.Tensor, options.training === undefined ? {} : { training: options.training }) as LayerInput;
}

export function identityBlock(X: LayerInput, f: number, filters: [number, number, number], stage: number, block: string, options: BlockOptions = {}): LayerInput {
  const convName = `res${stage}${block}_branch`;
  const bnName = `bn${stage}${block}_branch`;
  const [F1, F2, F3] = filters;
  // ### START CODE HERE ###
  const init = () => convInitializer(options, () => tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: 0 }));
  const shortcut = X;
  let x = applied(tf.layers.conv2d({ filters: F1, kernelSize: 1, strides: 1, padding: 'valid', name: `${convName}2a`, kernelInitializer: init() }), X);
  x = applied(tf.layers.batchNormalization({ axis: 3, name: `${bnName}2a` }), x, options);
  x = applied(tf.layers.activation({ activation: 'relu' }), x);
  x = applied(tf.layers.conv2d({ filters: F2, kernelSize: f, strides: 1, padding: 'same', name: `${convName}2b`, kernelInitializer: init() }), x);
  x = applied(tf.layers.batchNormalization({ axis: 3, name: `${bnName}2b` }), x, options);
  x = applied(tf.layers.activation({ activation: 'relu' }), x);
  x = applied(tf.layers.conv2d({ filters: F3, kernelSize: 1, strides: 1, padding: 'valid', name: `${convName}2c`, kernelInitializer: init() }), x);
  x = applied(tf.layers.batchNormalization({ axis: 3, name: `${bnName}2c` }), x, options);
  x = applied(tf.layers.add(), [shortcut, x]);
  x = applied(tf.layers.activation({ activation: 'relu' }), x);
  // ### END CODE HERE ###
  return x;
}

export function convolutionalBlock(X: LayerInput, f: number, filters: [number, number, number], stage: number, block: string, s = 2, options: BlockOptions = {}): LayerInput {
  const convName = `res${stage}${block}_branch`;
  const bnName = `bn${stage}${block}_branch`;
  const [F1, F2, F3] = filters;
  // ### START CODE HERE ###
  const init = () => convInitializer(options, () => tf.initializers.glorotUniform({ seed: 0 }));
  let shortcut = X;
  let x = applied(tf.layers.conv2d({ filters: F1, kernelSize: 1, strides: s, padding: 'valid', name: `${convName}2a`, kernelInitializer: init() }), X);
  x = applied(tf.layers.batchNormalization({ axis: 3, name: `${bnName}2a` }), x, options);
  x = applied(tf.layers.activation({ activation: 'relu' }), x);
  x = applied(tf.layers.conv2d({ filters: F2, kernelSize: f, strides: 1, padding: 'same', name: `${convName}2b`, kernelInitializer: init() }), x);
  x = applied(tf.layers.batchNormalization({ axis: 3, name: `${bnName}2b` }), x, options);
  x = applied(tf.layers.activation({ activation: 'relu' }), x);
  x = applied(tf.layers.conv2d({ filters: F3, kernelSize: 1, strides: 1, padding: 'valid', name: `${convName}2c`, kernelInitializer: init() }), x);
  shortcut = applied(tf.layers.conv2d({ filters: F3, kernelSize: 1, strides: s, padding: 'valid', name: `${convName}1`, kernelInitializer: init() }), shortcut);
  x = applied(tf.layers.batchNormalization({ axis: 3, name: `${bnName}2c` }), x, options);
  shortcut = applied(tf.layers.batchNormalization({ axis: 3, name: `${bnName}1` }), shortcut, options);
  x = applied(tf.layers.add(), [x, shortcut]);
  x = applied(tf.layers.activation({ activation: 'relu' }), x);
  // ### END CODE HERE ###
  return x;
}

export function resNet50(inputShape: [number, number, number] = [64, 64, 3], classes = 6): tf.LayersModel {
  const input = tf.input({ shape: inputShape });
  // ### START CODE HERE ###
  let x: LayerInput = applied(tf.layers.zeroPadding2d({ padding: 3 }), input);
  x = applied(tf.layers.conv2d({ filters: 64, kernelSize: 7, strides: 2, name: 'conv1', kernelInitializer: tf.initializers.glorotUniform({ seed: 0 }) }), x);
  x = applied(tf.layers.batchNormalization({ axis: 3, name: 'bn_conv1' }), x);
  x = applied(tf.layers.activation({ activation: 'relu' }), x);
  x = applied(tf.layers.maxPooling2d({ poolSize: 3, strides: 2 }), x);

  x = convolutionalBlock(x, 3, [64, 64, 256], 2, 'a', 1);
  for (const block of ['b', 'c']) x = identityBlock(x, 3, [64, 64, 256], 2, block);

  x = convolutionalBlock(x, 3, [128, 128, 512], 3, 'a', 2);
  for (const block of ['b', 'c', 'd']) x = identityBlock(x, 3, [128, 128, 512], 3, block);

  x = convolutionalBlock(x, 3, [256, 256, 1024], 4, 'a', 2);
  for (const block of ['b', 'c', 'd', 'e', 'f']) x = identityBlock(x, 3, [256, 256, 1024], 4, block);

  x = convolutionalBlock(x, 3, [512, 512, 2048], 5, 'a', 2);
  for (const block of ['b', 'c']) x = identityBlock(x, 3, [512, 512, 2048], 5, block);

  x = applied(tf.layers.averagePooling2d({ poolSize: 2, name: 'avg_pool' }), x);
  x = applied(tf.layers.flatten(), x);
  const output = applied(tf.layers.dense({ units: classes, activation: 'softmax', name: `fc${classes}`, kernelInitializer: tf.initializers.glorotUniform({ seed: 0 }) }), x);
  // ### END CODE HERE ###
  return tf.model({ inputs: input, outputs: output as tf.SymbolicTensor, name: 'ResNet50' });
}
