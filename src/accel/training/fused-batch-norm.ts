/**
 * Batch normalization in training mode as one op with its closed-form gradient, in place of
 * tfjs-layers' tf.moments + tf.batchNorm, whose gradient tfjs builds op by op: about 45 kernels a
 * layer backward (Tile, Sum and Multiply chains; ResNet50 has 53 such layers) against 15 here, and
 * 14 forward against 8. Same function, same forward arithmetic:
 *   mean = mean(x), centred = x - mean, variance = mean(centred²), y = γ·(x - mean)/√(variance + ε) + β
 * and the gradient, with x̂ = centred/√(variance + ε) and m values per channel:
 *   dβ = Σ dy,  dγ = Σ dy·x̂,  dx = (γ/√(variance + ε))·(dy - (dβ + x̂·dγ)/m)
 * where the x̂ terms run as one FusedBatchNorm kernel (an affine map of x̂ per channel). (The
 * moments go to the moving averages packed as [2, channels], one Pack and one Unpack more a
 * layer.) On WebGPU, where each kernel costs a dispatch, labgrade's own kernels do the same
 * arithmetic in 2 kernels a layer, moving averages included, instead of 28: one forward kernel
 * that also updates the moving averages, with its gradient registered (no custom-gradient scope),
 * one backward (webgpu/training-kernels.ts). On wasm, while labgrade trains, so do two kernels of
 * passes over the heap (wasm/batch-norm-training.ts), the ReLU after them left to tfjs.
 */
import type * as tfType from '@tensorflow/tfjs';
import { BATCH_NORM_TRAINING, hasKernel, NORMALIZE_GRAD, reluFusion } from '../kernel-names.js';
import { PER_CHANNEL_MAX_CHANNELS } from '../webgpu/per-channel-sums.js';
import { markReluApplied, reluFollows } from './fused-relu.js';

type Tf = typeof tfType;

/** A layer's moving mean and variance, and how far a batch moves them. */
export interface MovingStatistics {
  mean: tfType.Tensor1D;
  variance: tfType.Tensor1D;
  /** Each statistic s becomes s − (s − the batch's)·decay, as tfjs-layers updates them (decay = 1 − momentum). */
  decay: number;
}

export interface BatchNormTraining {
  /** The normalized values (through a ReLU where one was asked for). */
  normed: tfType.Tensor;
  /** [2, channels]: the batch's mean and variance per channel. */
  moments: tfType.Tensor2D;
  /** The moving statistics updated with the batch's. */
  movingMean: tfType.Tensor1D;
  movingVariance: tfType.Tensor1D;
}

/**
 * Normalizes `x` over all axes but the last (channels) with the batch's own statistics, and
 * updates the moving statistics with them. The moments returned are kept (outside any tidy): the
 * caller disposes them. No gradient flows back to x through the moments or the moving
 * statistics. With `relu`, the normalized values go through a ReLU (tf.relu). On WebGPU this runs
 * labgrade's kernels (webgpu/training-kernels.ts: 1 forward, 1 backward, the ReLU inside them;
 * up to PER_CHANNEL_MAX_CHANNELS channels); elsewhere tfjs ops.
 */
export function batchNormTraining(tf: Tf, x: tfType.Tensor, gamma: tfType.Tensor1D, beta: tfType.Tensor1D, epsilon: number, moving: MovingStatistics, relu = false): BatchNormTraining {
  if (hasKernel(tf, BATCH_NORM_TRAINING) && x.shape[x.rank - 1] <= PER_CHANNEL_MAX_CHANNELS) {
    // tfjs picks what to save for the gradient when the kernel runs: it must be registered first.
    registerBatchNormGradient(tf);
    const inputs = { x, gamma, beta, movingMean: moving.mean, movingVariance: moving.variance };
    const [normed, moments, movingMean, movingVariance] = tf.engine().runKernel(BATCH_NORM_TRAINING, inputs, { epsilon, decay: moving.decay, relu } as unknown as tfType.NamedAttrMap) as [tfType.Tensor, tfType.Tensor2D, tfType.Tensor1D, tfType.Tensor1D];
    return { normed, moments: tf.keep(moments), movingMean, movingVariance };
  }
  const { normed, moments } = byOps(tf, x, gamma, beta, epsilon);
  const [movingMean, movingVariance] = tf.tidy(() => {
    const [mean, variance] = tf.unstack(moments) as tfType.Tensor1D[];
    const update = (previous: tfType.Tensor1D, batch: tfType.Tensor1D) => tf.sub(previous, tf.mul(tf.sub(previous, batch), moving.decay)) as tfType.Tensor1D;
    return [update(moving.mean, mean), update(moving.variance, variance)];
  });
  return { normed: relu ? tf.relu(normed) : normed, moments, movingMean, movingVariance };
}

/** The normalization in tfjs ops, with the closed-form gradient (tf.customGrad); the moments are kept. */
function byOps(tf: Tf, x: tfType.Tensor, gamma: tfType.Tensor1D, beta: tfType.Tensor1D, epsilon: number): { normed: tfType.Tensor; moments: tfType.Tensor2D } {
  const axes = [...Array(x.rank - 1).keys()];
  let kept: tfType.Tensor2D | null = null;
  const op = tf.customGrad((...args: (tfType.Tensor | tfType.GradSaveFunc)[]) => {
    const [input, scale, offset] = args as tfType.Tensor[];
    const save = args[3] as tfType.GradSaveFunc;
    const mean = tf.mean(input, axes) as tfType.Tensor1D;
    const centred = tf.sub(input, mean);
    const variance = tf.mean(tf.square(centred), axes) as tfType.Tensor1D;
    // tfjs runs the forward pass inside a tidy that keeps only its value: the moments are kept for the caller.
    kept = tf.keep(tf.stack([mean, variance]) as tfType.Tensor2D);
    save([input, centred, mean, variance, scale]);
    return {
      value: tf.batchNorm(input, mean, variance, offset as tfType.Tensor1D, scale as tfType.Tensor1D, epsilon),
      gradFunc: (dy: tfType.Tensor, saved: tfType.Tensor[]) => {
        const [xs, xc, mu, sigma2, g] = saved as [tfType.Tensor, tfType.Tensor, tfType.Tensor1D, tfType.Tensor1D, tfType.Tensor1D];
        const perChannel = xs.size / xs.shape[xs.rank - 1];
        const invStd = tf.rsqrt(tf.add(sigma2, epsilon));
        const dBeta = tf.sum(dy, axes) as tfType.Tensor1D;
        const dGamma = tf.mul(tf.sum(tf.mul(dy, xc), axes), invStd) as tfType.Tensor1D;
        const k = tf.mul(g, invStd);
        const xHatCoefficient = tf.mul(tf.mul(k, dGamma), -1 / perChannel) as tfType.Tensor1D;
        const constant = tf.mul(tf.mul(k, dBeta), -1 / perChannel) as tfType.Tensor1D;
        const dx = tf.add(tf.mul(dy, k), tf.batchNorm(xs, mu, sigma2, constant, xHatCoefficient, epsilon));
        return [dx, dGamma, dBeta];
      },
    };
  });
  const normed = op(x, gamma, beta);
  if (kept === null) throw new Error('batchNormTraining: the forward pass did not run');
  return { normed, moments: kept };
}

/**
 * The gradient of labgrade's BatchNormTraining kernel (WebGPU): dx, dγ and dβ in one kernel,
 * taking dy through the ReLU first where the kernel applied one (from its saved output).
 * Registered once; it serves only that kernel. The moving statistics pass their outputs'
 * gradients on scaled by 1 − decay (training never asks for them).
 */
function registerBatchNormGradient(tf: Tf): void {
  if (tf.getGradient(BATCH_NORM_TRAINING)) return;
  tf.registerGradient({
    kernelName: BATCH_NORM_TRAINING,
    inputsToSave: ['x', 'gamma'],
    outputsToSave: [true, true, false, false],
    gradFunc: (dys, saved, attrs) => {
      // The moments' gradient (dys[1]) is not passed on: the moments only feed the moving statistics.
      const [dy, , dMovingMean, dMovingVariance] = dys as tfType.Tensor[];
      const [x, gamma, output, moments] = saved;
      const { epsilon, decay, relu } = attrs as unknown as { epsilon: number; decay: number; relu: boolean };
      const throughRelu: tfType.NamedTensorMap = relu ? { y: output } : {};
      const [dx, dGamma, dBeta] = tf.engine().runKernel(NORMALIZE_GRAD, { dy, x, moments, gamma, ...throughRelu }, { epsilon } as unknown as tfType.NamedAttrMap) as tfType.Tensor[];
      return { x: () => dx, gamma: () => dGamma, beta: () => dBeta, movingMean: () => tf.mul(dMovingMean, 1 - decay), movingVariance: () => tf.mul(dMovingVariance, 1 - decay) };
    },
  });
}

interface MovingStatistic {
  read(): tfType.Tensor;
  write(value: tfType.Tensor): void;
}

/** The parts of tfjs-layers' BatchNormalization that its training-mode call reads. */
interface BatchNormalizationLayer {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma?: { read(): tfType.Tensor } | null;
  beta?: { read(): tfType.Tensor } | null;
  movingMean: MovingStatistic;
  movingVariance: MovingStatistic;
}
type LayerCall = (this: BatchNormalizationLayer, inputs: tfType.Tensor | tfType.Tensor[], kwargs: { training?: boolean }) => tfType.Tensor;

/** Marks the patched call, so a second fuseBatchNormTraining (a training inside a training) leaves it be. */
const FUSED = Symbol('labgrade fused batch normalization');

/**
 * Makes tfjs-layers' BatchNormalization train through batchNormTraining (channels-last layers of
 * rank 2 to 4 with both γ and β, float32 inputs; any other layer, and inference, keep tfjs's own
 * code), until the returned restore function runs. The moving averages are updated as tfjs-layers
 * does; a layer marked by fuseRelus (fused-relu.ts) applies the ReLU after it too, where labgrade's
 * kernels run. The class comes from tfjs's serialization registry: building a layer to reach it
 * would shift the automatic names of the layers built after it. Not for tfjs's own IS_TEST
 * mode, whose leak check counts the statistics batchNormTraining keeps.
 */
export function fuseBatchNormTraining(tf: Tf): () => void {
  const registered = tf.serialization.SerializationMap.getMap().classNameMap.BatchNormalization as unknown as [{ prototype: { call: LayerCall & { [FUSED]?: true } } }] | undefined;
  if (!registered) throw new Error("tfjs-layers' BatchNormalization is not registered: is @tensorflow/tfjs-layers loaded?");
  const prototype = registered[0].prototype;
  if (prototype.call[FUSED]) return () => undefined;
  const original = prototype.call;
  const fusedCall: LayerCall = function fusedCall(inputs, kwargs) {
    const input = Array.isArray(inputs) && inputs.length === 1 ? inputs[0] : inputs;
    if (!kwargs?.training || Array.isArray(input) || input.dtype !== 'float32' || input.rank < 2 || input.rank > 4 || this.gamma == null || this.beta == null || (this.axis !== -1 && this.axis !== input.rank - 1)) {
      return original.call(this, inputs, kwargs);
    }
    const gamma = this.gamma;
    const beta = this.beta;
    const relu = reluFollows(this) && hasKernel(tf, BATCH_NORM_TRAINING) && reluFusion(tf);
    const output = tf.tidy(() => {
      const moving = { mean: this.movingMean.read() as tfType.Tensor1D, variance: this.movingVariance.read() as tfType.Tensor1D, decay: 1 - this.momentum };
      const { normed, moments, movingMean, movingVariance } = batchNormTraining(tf, input, gamma.read() as tfType.Tensor1D, beta.read() as tfType.Tensor1D, this.epsilon, moving, relu);
      moments.dispose();
      this.movingMean.write(movingMean);
      this.movingVariance.write(movingVariance);
      return normed;
    });
    if (relu) markReluApplied(output);
    return output;
  };
  prototype.call = Object.assign(fusedCall, { [FUSED]: true as const });
  return () => {
    prototype.call = original;
  };
}
