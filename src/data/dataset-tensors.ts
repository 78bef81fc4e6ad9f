/**
 * Datasets as the tensors lab functions take, by name ("signs/train/x"): images scaled to [0, 1]
 * as float32 NHWC, labels one-hot. The grading process reads them and sends their values to a
 * submission's process once (that process reads no files); the grading process also uses them to
 * measure a trained model's accuracy itself.
 *
 * A reference may relabel the classes ({"$dataset": "signs/train/y", "relabel": [3, 5, 0, 1, 4, 2]}:
 * class c becomes relabel[c]), so that a lab's training runs on labels only the grader knows.
 */
import type * as tfType from '@tensorflow/tfjs';
import { cachedSigns } from './signs.js';
import { oneHotLabels, scaledImages, setTensors, SIGNS_CHANNELS, SIGNS_CLASSES, SIGNS_SIDE } from './signs-arrays.js';
import { UsageError } from '../errors.js';

export const DATASET_NAMES = ['signs/train/x', 'signs/train/y', 'signs/test/x', 'signs/test/y'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];


/** A dataset's tensor as it travels: its values in a typed array. */
export interface DatasetTensor {
  dtype: 'float32';
  shape: number[];
  data: Float32Array;
}

/** A dataset as an argument template names it. */
export interface DatasetSpec {
  name: DatasetName;
  /** A permutation of the classes (labels only). */
  relabel?: number[];
}

export function isDatasetName(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
}

/** The key a dataset travels under: its name, and its relabelling if any. */
export function datasetKey(spec: DatasetSpec): string {
  return spec.relabel ? `${spec.name}@${spec.relabel.join(',')}` : spec.name;
}

function isPermutation(v: unknown, n: number): v is number[] {
  return Array.isArray(v) && v.length === n && [...v].sort((a, b) => a - b).every((x, i) => x === i);
}

/** A dataset's values from the datasets folder, ready to send to a submission's process. */
export function datasetValue(spec: DatasetSpec, dataDir: string): DatasetTensor {
  const { train, test } = cachedSigns(dataDir);
  const set = spec.name.startsWith('signs/train') ? train : test;
  return spec.name.endsWith('/x')
    ? { dtype: 'float32', shape: [set.m, SIGNS_SIDE, SIGNS_SIDE, SIGNS_CHANNELS], data: scaledImages(set) }
    : { dtype: 'float32', shape: [set.m, SIGNS_CLASSES], data: oneHotLabels(set, spec.relabel) };
}

/** All four SIGNS tensors from `dataDir` (see loadSigns); the caller owns them. */
export function signsTensors(tf: typeof tfType, dataDir: string, relabel?: readonly number[]): Record<DatasetName, tfType.Tensor> {
  const { train, test } = cachedSigns(dataDir);
  const trainSet = setTensors(tf, train, relabel);
  const testSet = setTensors(tf, test, relabel);
  return { 'signs/train/x': trainSet.x, 'signs/train/y': trainSet.y, 'signs/test/x': testSet.x, 'signs/test/y': testSet.y };
}

/** The datasets an argument template refers to ({"$dataset": name, "relabel"?: [...]}), anywhere inside it. */
export function datasetRefsIn(template: unknown): DatasetSpec[] {
  if (Array.isArray(template)) return template.flatMap(datasetRefsIn);
  if (template !== null && typeof template === 'object') {
    const { $dataset: ref, relabel } = template as { $dataset?: unknown; relabel?: unknown };
    if (typeof ref === 'string') {
      if (!isDatasetName(ref)) throw new UsageError(`unknown dataset "${ref}": known ones are ${DATASET_NAMES.join(', ')}`);
      if (relabel !== undefined && (!ref.endsWith('/y') || !isPermutation(relabel, SIGNS_CLASSES))) throw new UsageError(`dataset "${ref}": relabel must be a permutation of 0-${SIGNS_CLASSES - 1}, for labels only`);
      return [{ name: ref, ...(relabel ? { relabel: relabel as number[] } : {}) }];
    }
    return Object.values(template).flatMap(datasetRefsIn);
  }
  return [];
}

/** The argument template with each dataset reference replaced by the key its values travel under. */
export function withDatasetKeys(template: unknown): unknown {
  if (Array.isArray(template)) return template.map(withDatasetKeys);
  if (template !== null && typeof template === 'object') {
    const [spec] = typeof (template as { $dataset?: unknown }).$dataset === 'string' ? datasetRefsIn(template) : [];
    if (spec) return { $dataset: datasetKey(spec) };
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, withDatasetKeys(v)]));
  }
  return template;
}
