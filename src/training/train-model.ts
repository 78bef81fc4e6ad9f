/**
 * The training recipe `labgrade train` runs in a submission's process, on the model the
 * submission builds: the sample report's (Adam, batch 32, validation split 0.1,
 * ReduceLROnPlateau(factor 0.2, patience 5, min 1e-5)), on SIGNS shuffled once with a fixed seed
 * (the JPEG folders are in label order, and the validation split takes the last examples).
 */
import type * as tfType from '@tensorflow/tfjs';
import { RandomState } from '../rng/random-state.js';
import { reduceLROnPlateau } from './reduce-lr-on-plateau.js';
import { adamForBackend, useLabgradeTrainingCode } from '../accel/index.js';

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

/** Trains `model` with labgrade's training code (useLabgradeTrainingCode) and adamForBackend. */
export async function trainModel(tf: typeof tfType, model: tfType.LayersModel, x: tfType.Tensor, y: tfType.Tensor, options: TrainOptions, onProgress: (p: EpochProgress) => void): Promise<TrainedModel> {
  const m = x.shape[0];
  const n = Math.min(options.subset ?? m, m);
  const order = tf.tensor1d(new RandomState(options.seed).permutation(m).slice(0, n), 'int32');
  const xs = tf.gather(x, order);
  const ys = tf.gather(y, order);
  order.dispose();
  // The model does not own an optimizer it is given (model.dispose() leaves it): disposed here.
  const optimizer = adamForBackend(tf, options.learningRate);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const { callback: plateauCallback, plateau } = reduceLROnPlateau(tf, { monitor: 'val_loss', ...options.plateau });
  const trainCount = n - Math.floor(n * options.validationSplit);
  const batches = Math.ceil(trainCount / options.batchSize);
  const progress = progressCallback(tf, options.epochs, batches, onProgress);
  const restoreTrainingCode = useLabgradeTrainingCode(tf, model);
  try {
    const history = await model.fit(xs, ys, {
      epochs: options.epochs,
      batchSize: options.batchSize,
      validationSplit: options.validationSplit,
      shuffle: true,
      verbose: 0,
      callbacks: [plateauCallback, progress],
    });
    await progress.reported();
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
    // Reports still on their way are made (or dropped, after a failure) while the fusion holds.
    await progress.settled();
    restoreTrainingCode();
    optimizer.dispose();
    tf.dispose([xs, ys]);
  }
}

type Logs = Record<string, number | tfType.Tensor>;

/**
 * Reports every batch without waiting for it. A batch's loss read at once (as tf.CustomCallback
 * does) makes the CPU wait for the GPU at every step, so that dispatching a step and the GPU's work
 * on the one before never overlap; here the numbers are read in the background and reported in
 * order. An epoch's end is reported before the next epoch starts, after its batches (the plateau
 * callback has waited for the GPU there already), so a report may stop training between epochs.
 * A report that throws stops training at the next batch.
 */
function progressCallback(tf: typeof tfType, epochs: number, batches: number, onProgress: (p: EpochProgress) => void) {
  let chain = Promise.resolve();
  let failure: { error: unknown } | null = null;
  let epoch = 0;
  const report = (numbers: Promise<Record<string, number>>, progress: Omit<EpochProgress, 'logs'>) => {
    // Handled in the chain below; marked handled now, in case it fails before the chain gets there.
    numbers.catch(() => undefined);
    chain = chain.then(async () => {
      const logs = await numbers;
      if (!failure) onProgress({ ...progress, logs });
    }).catch((error: unknown) => {
      failure ??= { error };
    });
  };
  const rethrow = () => {
    if (failure) throw failure.error;
  };
  /** The logs as numbers, read without blocking: tensors are cloned (fit disposes its own after the callbacks). */
  const read = (logs: Logs | undefined): Promise<Record<string, number>> => {
    const entries = Object.entries(logs ?? {}).map(([key, value]) => [key, typeof value === 'number' ? value : tf.keep(value.clone())] as const);
    return Promise.all(
      entries.map(async ([key, value]) => {
        if (typeof value === 'number') return [key, value] as const;
        try {
          return [key, (await value.data())[0]] as const;
        } finally {
          value.dispose();
        }
      }),
    ).then(Object.fromEntries);
  };
  const callback = new (class extends tf.Callback {
    async onEpochBegin(e: number) {
      epoch = e;
    }
    async onBatchEnd(batch: number, logs?: Logs) {
      rethrow();
      report(read(logs), { epoch, epochs, batch: batch + 1, batches });
      // A turn of the event loop lets reads complete and messages go out; it does not wait for the GPU.
      await new Promise((resolve) => setImmediate(resolve));
    }
    async onEpochEnd(e: number, logs?: Logs) {
      rethrow();
      report(read(logs), { epoch: e, epochs, batch: batches, batches });
      await chain;
      rethrow();
    }
  })();
  return Object.assign(callback, {
    /** Resolves once every report is made or dropped; never rejects. */
    settled: () => chain,
    /** Resolves once every report is made; rejects with a report's error. */
    reported: async () => {
      await chain;
      rethrow();
    },
  });
}
