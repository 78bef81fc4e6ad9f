/**
 * Datasets as the tensors lab functions take, by name ("signs/train/x"): images scaled to [0, 1]
 * as float32 NHWC, labels one-hot. Used by a submission's process to fill in dataset arguments,
 * and by the grading process to measure a trained model's accuracy itself.
 */
import type * as tfType from '@tensorflow/tfjs';
import { cachedSigns, convertToOneHot, SIGNS_CHANNELS, SIGNS_CLASSES, SIGNS_SIDE, type ImageSet } from './signs.js';
import { UsageError } from '../errors.js';

export const DATASET_NAMES = ['signs/train/x', 'signs/train/y', 'signs/test/x', 'signs/test/y'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export function isDatasetName(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
}

function imagesTensor(tf: typeof tfType, set: ImageSet): tfType.Tensor4D {
  const scaled = new Float32Array(set.x.length);
  for (let i = 0; i < scaled.length; i++) scaled[i] = set.x[i] / 255;
  return tf.tensor4d(scaled, [set.m, SIGNS_SIDE, SIGNS_SIDE, SIGNS_CHANNELS]);
}

function labelsTensor(tf: typeof tfType, set: ImageSet): tfType.Tensor2D {
  return tf.tensor2d(convertToOneHot(set.y, SIGNS_CLASSES), [set.m, SIGNS_CLASSES]);
}

/**
 * All four SIGNS tensors from `dataDir` (see loadSigns); the caller owns them. The images are read
 * once per process: grading checks the data before it measures accuracies on it.
 */
export function signsTensors(tf: typeof tfType, dataDir: string): Record<DatasetName, tfType.Tensor> {
  const { train, test } = cachedSigns(dataDir);
  return {
    'signs/train/x': imagesTensor(tf, train),
    'signs/train/y': labelsTensor(tf, train),
    'signs/test/x': imagesTensor(tf, test),
    'signs/test/y': labelsTensor(tf, test),
  };
}

/** One set's images and one-hot labels as tensors; the caller owns them. */
export function setTensors(tf: typeof tfType, set: ImageSet): { x: tfType.Tensor4D; y: tfType.Tensor2D } {
  return { x: imagesTensor(tf, set), y: labelsTensor(tf, set) };
}

/** The dataset names an argument template refers to ({"$dataset": name}), anywhere inside it. */
export function datasetRefsIn(template: unknown): string[] {
  if (Array.isArray(template)) return template.flatMap(datasetRefsIn);
  if (template !== null && typeof template === 'object') {
    const ref = (template as { $dataset?: unknown }).$dataset;
    if (typeof ref === 'string') {
      if (!isDatasetName(ref)) throw new UsageError(`unknown dataset "${ref}": known ones are ${DATASET_NAMES.join(', ')}`);
      return [ref];
    }
    return Object.values(template).flatMap(datasetRefsIn);
  }
  return [];
}
