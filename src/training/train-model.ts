/**
 * The training recipe `labgrade train` runs in a submission's process, on the model the
 * submission builds: the sample report's (Adam, batch 32, validation split 0.1,
 * ReduceLROnPlateau(factor 0.2, patience 5, min 1e-5)), on SIGNS shuffled once with a fixed seed
 * (the JPEG folders are in label order, and the validation split takes the last examples).
 */
import type * as tfType from '@tensorflow/tfjs';
import { RandomState } from '../rng/random-state.js';
import { reduceLROnPlateau } from './reduce-lr-on-plateau.js';
import { fusedAdam } from './fused-adam.js';
import { fuseBatchNormTraining } from './fused-batch-norm.js';

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  validationSplit: number;
  learningRate: number;
  plateau: { factor: number; patience: number; minLr: number };
  /** Train on the first n shuffled examples only (the CPU smoke run). */
  subset?: number;
  seed: number;
}

export const SAMPLE_REPORT_RECIPE: TrainOptions = {
  epochs: 50,
  batchSize: 32,
  validationSplit: 0.1,
  learningRate: 1e-3,
  plateau: { factor: 0.2, patience: 5, minLr: 1e-5 },
  seed: 0,
};

export interface EpochProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  logs: Record<string, number>;
}

export interface TrainedModel {
  artifacts: { modelTopology: object; weightSpecs: tfType.io.WeightsManifestEntry[]; weightData: ArrayBuffer };
  history: Record<string, number[]>;
  reductions: { epoch: number; learningRate: number }[];
}

/**
 * Adam as fast as the active backend runs it: the fused update on WebGPU (a step 2.15× faster on an
 * H100, where dispatches dominate), tfjs's own elsewhere (fused, wasm's slices of the flat update
 * make it 80× slower).
 */
export function adamForBackend(tf: typeof tfType, learningRate: number): tfType.Optimizer {
  return tf.getBackend() === 'webgpu' ? fusedAdam(tf, { learningRate }) : tf.train.adam(learningRate);
}

/** Trains `model` with labgrade's fused batch normalization and adamForBackend. */
export async function trainModel(tf: typeof tfType, model: tfType.LayersModel, x: tfType.Tensor, y: tfType.Tensor, options: TrainOptions, onProgress: (p: EpochProgress) => void): Promise<TrainedModel> {
  const m = x.shape[0];
  const n = Math.min(options.subset ?? m, m);
  const order = tf.tensor1d(new RandomState(options.seed).permutation(m).slice(0, n), 'int32');
  const xs = tf.gather(x, order);
  const ys = tf.gather(y, order);
  order.dispose();
  model.compile({ optimizer: adamForBackend(tf, options.learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const { callback: plateauCallback, plateau } = reduceLROnPlateau(tf, { monitor: 'val_loss', ...options.plateau });
  const trainCount = n - Math.floor(n * options.validationSplit);
  const batches = Math.ceil(trainCount / options.batchSize);
  let epoch = 0;
  const progress = new tf.CustomCallback({
    onEpochBegin: async (e) => {
      epoch = e;
    },
    onBatchEnd: async (batch, logs) => onProgress({ epoch, epochs: options.epochs, batch: batch + 1, batches, logs: (logs ?? {}) as Record<string, number> }),
    onEpochEnd: async (e, logs) => onProgress({ epoch: e, epochs: options.epochs, batch: batches, batches, logs: (logs ?? {}) as Record<string, number> }),
  });
  const restoreBatchNorm = fuseBatchNormTraining(tf);
  try {
    const history = await model.fit(xs, ys, {
      epochs: options.epochs,
      batchSize: options.batchSize,
      validationSplit: options.validationSplit,
      shuffle: true,
      verbose: 0,
      callbacks: [plateauCallback, progress],
    });
    let artifacts: TrainedModel['artifacts'] | null = null;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = { modelTopology: a.modelTopology as object, weightSpecs: a.weightSpecs ?? [], weightData: a.weightData as ArrayBuffer };
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const numbers = Object.fromEntries(Object.entries(history.history).map(([k, v]) => [k, v.map(Number)]));
    return { artifacts: artifacts!, history: numbers, reductions: plateau.reductions };
  } finally {
    restoreBatchNorm();
    tf.dispose([xs, ys]);
  }
}
