/**
 * Lab 3: Residual Networks (TensorFlow.js edition, the course's optional lab).
 *
 * Fill in the code between each `// ### START CODE HERE ###` and `// ### END CODE HERE ###` pair.
 * Do not rename the functions, the layers or change the signatures: trained weights are loaded by
 * the layer names ('res' + stage + block + '_branch2a', 'bn' + ..., conv1, bn_conv1, avg_pool, fc6).
 * The blocks take a symbolic tensor (to build the model) or a tensor (applied at once, as the
 * course's tests do). Apply every layer with `layer.apply(x)`; pass `{ training: options.training }`
 * to BatchNormalization when options.training is set, and `options.initializer` (e.g. 'ones', used
 * by the checks) as every Conv2D's kernelInitializer when it is set.
 *
 * Check your work with:  npx labgrade check residual-networks.ts --data <folder holding signs/>
 * Train it:              npx labgrade train residual-networks . --out trained
 * (then copy trained/resnet50/ beside this file to have the trained model graded).
 */
import * as tf from '@tensorflow/tfjs';

type LayerInput = tf.SymbolicTensor | tf.Tensor;

export interface BlockOptions {
  training?: boolean;
  initializer?: string;
}

/** Applies a layer, passing BatchNormalization's training flag when one is set. */
function applied(layer: tf.layers.Layer, x: LayerInput | LayerInput[], options: BlockOptions = {}): LayerInput {
  return layer.apply(x as tf.Tensor, options.training === undefined ? {} : { training: options.training }) as LayerInput;
}

/**
 * The identity block: main path Conv2D(F1, 1×1, 'valid') → BN → ReLU → Conv2D(F2, f×f, 'same') →
 * BN → ReLU → Conv2D(F3, 1×1, 'valid') → BN; then Add([X, main]) and a ReLU. Default kernel
 * initializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: 0 }).
 */
export function identityBlock(X: LayerInput, f: number, filters: [number, number, number], stage: number, block: string, options: BlockOptions = {}): LayerInput {
  const convName = `res${stage}${block}_branch`;
  const bnName = `bn${stage}${block}_branch`;
  const [F1, F2, F3] = filters;
  let x: LayerInput = X;
  // ### START CODE HERE ###
  // x = applied(tf.layers.conv2d({ filters: F1, kernelSize: 1, strides: 1, padding: 'valid', name: `${convName}2a`, kernelInitializer: ... }), X);
  // x = applied(tf.layers.batchNormalization({ axis: 3, name: `${bnName}2a` }), x, options);
  // x = applied(tf.layers.activation({ activation: 'relu' }), x);
  // ... second and third components, then tf.layers.add() on [X, x] and a final ReLU.
  void [convName, bnName, F1, F2, F3, f, applied];
  // ### END CODE HERE ###
  return x;
}

/**
 * The convolutional block: as the identity block, but the first 1×1 Conv2D has stride s, and the
 * shortcut is Conv2D(F3, 1×1, stride s, 'valid', name `${convName}1`) → BN (`${bnName}1`).
 * Create the main path's third Conv2D before the shortcut's Conv2D, and their BatchNormalizations
 * in the same order (the course's layer order). Default kernel initializer: glorotUniform({ seed: 0 }).
 */
export function convolutionalBlock(X: LayerInput, f: number, filters: [number, number, number], stage: number, block: string, s = 2, options: BlockOptions = {}): LayerInput {
  const convName = `res${stage}${block}_branch`;
  const bnName = `bn${stage}${block}_branch`;
  const [F1, F2, F3] = filters;
  let x: LayerInput = X;
  // ### START CODE HERE ###
  void [convName, bnName, F1, F2, F3, f, s, options];
  // ### END CODE HERE ###
  return x;
}

/**
 * ResNet50: ZeroPadding2D(3) → Conv2D(64, 7×7, stride 2, 'conv1') → BN('bn_conv1') → ReLU →
 * MaxPooling2D(3×3, stride 2) → stage 2: convolutionalBlock(f 3, [64, 64, 256], s 1) + 2 identity
 * blocks → stage 3: [128, 128, 512], s 2, + 3 → stage 4: [256, 256, 1024], s 2, + 5 → stage 5:
 * [512, 512, 2048], s 2, + 2 → AveragePooling2D(2×2, 'avg_pool') → Flatten → Dense(classes, softmax,
 * 'fc' + classes). Conv1 and the dense layer use glorotUniform({ seed: 0 }).
 */
export function resNet50(inputShape: [number, number, number] = [64, 64, 3], classes = 6): tf.LayersModel | null {
  const input = tf.input({ shape: inputShape });
  let output: LayerInput | null = null;
  // ### START CODE HERE ###
  void [input, classes];
  // ### END CODE HERE ###
  return output ? tf.model({ inputs: input, outputs: output as tf.SymbolicTensor, name: 'ResNet50' }) : null;
}
