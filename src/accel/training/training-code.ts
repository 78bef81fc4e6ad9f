/** labgrade's training code as one switch: the fusions and gradient swaps, and the Adam each backend runs fastest. */
import type * as tfType from '@tensorflow/tfjs';
import { fusedAdam } from './fused-adam.js';
import { fuseBatchNormTraining } from './fused-batch-norm.js';
import { fuseRelus, useFusedRelus } from './fused-relu.js';
import { keepTapeSavesByReference } from './tape-saves.js';
import { useReluGradKernel } from './relu-gradient.js';
import { passGradientsByReference } from './pass-through-gradients.js';
import { useLabgradeWebgpuKernels } from './webgpu-kernel-swaps.js';
import { useLabgradeConv2dWithBias } from './conv-bias-gradient.js';
import { useColumnSums } from '../wasm/column-sums.js';
import { useBatchNormKernels } from '../wasm/batch-norm-training.js';
import { useLastAxesTranspose } from '../wasm/last-axes-transpose.js';

/**
 * Adam as fast as the active backend runs it: the fused update on WebGPU (a step 2.15× faster on an
 * H100, where dispatches dominate), tfjs's own elsewhere (fused, wasm's slices of the flat update
 * make it 80× slower).
 */
export function adamForBackend(tf: typeof tfType, learningRate: number): tfType.Optimizer {
  return tf.getBackend() === 'webgpu' ? fusedAdam(tf, { learningRate }) : tf.train.adam(learningRate);
}

/**
 * labgrade's training code around tfjs-layers' fit, until the returned function restores tfjs's
 * own: the fused batch normalization, the tape keeping tensors by reference, the Add and Identity
 * gradients passing dy on by reference, and (on WebGPU) the one-kernel ReLU gradient, the tiled
 * filter gradient, the one-shader bias gradient and a convolution's filter and bias gradients from
 * one shader; (on wasm and cpu) a convolution's input gradient only where asked for, (on wasm) Sum
 * and Mean over the leading axes in one pass, the batch normalization in passes over the heap and
 * large transposes of the last two axes tile by tile; given the model to train, the ReLUs after
 * its batch normalizations and additions inside them (fuseRelus).
 */
export function useLabgradeTrainingCode(tf: typeof tfType, model?: tfType.LayersModel): () => void {
  const restores: (() => void)[] = [];
  const restore = () => {
    for (const undo of restores.splice(0).reverse()) undo();
  };
  try {
    for (const install of [fuseBatchNormTraining, useFusedRelus, keepTapeSavesByReference, passGradientsByReference, useReluGradKernel, useLabgradeWebgpuKernels, useLabgradeConv2dWithBias, useColumnSums, useBatchNormKernels, useLastAxesTranspose]) restores.push(install(tf));
    if (model) restores.push(fuseRelus(model));
  } catch (err) {
    // What was installed before the failure comes off again.
    restore();
    throw err;
  }
  return restore;
}

