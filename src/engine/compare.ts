/**
 * Whole-value comparison of a student's output with the expected one: type, dtype, rank, shape
 * (naming the axis), then values with a stated tolerance, naming the first wrong index, how many
 * elements differ and the largest errors. Hidden checks get the same diagnosis without expected values.
 */
import { describeValue, formatNumber, isEncodedModel, isEncodedTensor, isUnsupported, type EncodedTensor, type Value } from './values.js';
import { compareSummaries } from './model-summary.js';

export interface Tolerance {
  /** |actual - expected| <= atol + rtol * |expected| */
  rtol: number;
  atol: number;
}

export type MismatchKind = 'type' | 'unsupported' | 'dtype' | 'rank' | 'shape' | 'length' | 'keys' | 'nonfinite' | 'values' | 'model';

export interface Mismatch {
  kind: MismatchKind;
  /** Where in the output, e.g. "Z" or "cache[3].stride"; empty for the whole output. */
  path: string;
  message: string;
}

export interface CompareOptions {
  tolerance: Tolerance;
  /** Names for the items of a tuple-returning function's output, e.g. ["Z", "cache"]. */
  outputNames?: readonly string[];
  /** Whether the message may show expected values (public checks) or not (hidden checks). */
  reveal: boolean;
}

export function compareValues(expected: Value, actual: Value, options: CompareOptions): Mismatch | null {
  const names = options.outputNames;
  if (names && names.length > 1 && Array.isArray(expected)) {
    if (!Array.isArray(actual)) {
      return mismatch('type', '', `expected a tuple [${names.join(', ')}], got ${describeValue(actual)}`);
    }
    if (actual.length !== expected.length) {
      return mismatch('length', '', `expected a tuple of ${expected.length} items [${names.join(', ')}], got ${actual.length}`);
    }
    for (let i = 0; i < expected.length; i++) {
      const m = compareAt(expected[i], actual[i], names[i] ?? `[${i}]`, options);
      if (m) return m;
    }
    return null;
  }
  return compareAt(expected, actual, names?.[0] ?? '', options);
}

function mismatch(kind: MismatchKind, path: string, detail: string): Mismatch {
  return { kind, path, message: path ? `${path}: ${detail}` : detail };
}

function compareAt(expected: Value, actual: Value, path: string, options: CompareOptions): Mismatch | null {
  if (isUnsupported(actual)) return mismatch('unsupported', path, `returned ${actual.$unsupported}`);
  if (actual === null && expected !== null) {
    const wanted = options.reveal ? `, expected ${describeValue(expected)}` : '';
    return mismatch('type', path, `got null${wanted}: is the code between ### START CODE HERE ### and ### END CODE HERE ### filled in?`);
  }
  if (isEncodedTensor(expected)) return compareTensor(expected, actual, path, options);
  if (typeof expected === 'number') {
    if (typeof actual !== 'number') {
      const hint = isEncodedTensor(actual) ? ' (read the value out of the tensor, e.g. with .dataSync()[0])' : '';
      return mismatch('type', path, `expected a number, got ${describeValue(actual)}${hint}`);
    }
    if (!Number.isFinite(actual)) return mismatch('nonfinite', path, `got ${actual}`);
    if (!withinTolerance(expected, actual, options.tolerance)) {
      // The error magnitude would give a hidden expected value away, so only public checks show it.
      const shown = options.reveal
        ? `expected ${formatNumber(expected)}, got ${formatNumber(actual)} (error ${formatNumber(Math.abs(actual - expected))})`
        : `got ${formatNumber(actual)}, which is not the expected value`;
      return mismatch('values', path, shown);
    }
    return null;
  }
  if (expected === null || typeof expected === 'boolean' || typeof expected === 'string') {
    if (actual !== expected) {
      const shown = options.reveal ? `expected ${describeValue(expected)}, got ${describeValue(actual)}` : `got ${describeValue(actual)}, which is not the expected value`;
      return mismatch(typeof actual === typeof expected ? 'values' : 'type', path, shown);
    }
    return null;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return mismatch('type', path, `expected an array of ${expected.length} items, got ${describeValue(actual)}`);
    if (actual.length !== expected.length) return mismatch('length', path, `expected ${expected.length} items, got ${actual.length}`);
    for (let i = 0; i < expected.length; i++) {
      const m = compareAt(expected[i], actual[i], `${path}[${i}]`, options);
      if (m) return m;
    }
    return null;
  }
  if (isUnsupported(expected)) return null; // fixtures never hold these
  if (isEncodedModel(expected)) {
    if (!isEncodedModel(actual)) return mismatch('type', path, `expected a model, got ${describeValue(actual)}`);
    const { differences } = compareSummaries(expected.$model, actual.$model);
    if (differences.length === 0) return null;
    // The differences spell out the expected layers, which a hidden check must not show.
    return mismatch('model', path, options.reveal ? differences.join('; ') : `the model's layers differ from the expected ones (${differences.length} difference${differences.length === 1 ? '' : 's'})`);
  }
  if (actual === null || typeof actual !== 'object' || Array.isArray(actual) || isEncodedTensor(actual) || isEncodedModel(actual)) {
    return mismatch('type', path, `expected an object with keys {${Object.keys(expected).join(', ')}}, got ${describeValue(actual)}`);
  }
  for (const key of Object.keys(expected)) {
    if (!(key in actual)) return mismatch('keys', path, `is missing the key "${key}"`);
    const m = compareAt(expected[key], actual[key], path ? `${path}.${key}` : key, options);
    if (m) return m;
  }
  return null;
}

function withinTolerance(expected: number, actual: number, tol: Tolerance): boolean {
  return Math.abs(actual - expected) <= tol.atol + tol.rtol * Math.abs(expected);
}

function compareTensor(expected: EncodedTensor, actual: Value, path: string, options: CompareOptions): Mismatch | null {
  const e = expected.$tensor;
  if (!isEncodedTensor(actual)) {
    const hint = Array.isArray(actual) ? ' (wrap the result with tf.tensor(...))' : '';
    const wanted = options.reveal ? `a ${e.dtype} tensor of shape [${e.shape.join(', ')}]` : `a ${e.dtype} tensor`;
    return mismatch('type', path, `expected ${wanted}, got ${describeValue(actual)}${hint}`);
  }
  const a = actual.$tensor;
  if (a.dtype !== e.dtype) {
    const hint = e.dtype === 'bool' ? ' (comparisons such as tf.equal return bool tensors)' : e.dtype === 'float32' ? ' (use tf.cast(x, "float32") or float inputs)' : '';
    return mismatch('dtype', path, `expected dtype ${e.dtype}, got ${a.dtype}${hint}`);
  }
  if (a.shape.length !== e.shape.length) {
    const shown = options.reveal ? `expected rank ${e.shape.length} (shape [${e.shape.join(', ')}]), got rank ${a.shape.length} (shape [${a.shape.join(', ')}])` : `got rank ${a.shape.length} (shape [${a.shape.join(', ')}]), which is not the expected rank`;
    return mismatch('rank', path, shown);
  }
  const badAxes = e.shape.map((d, i) => (d !== a.shape[i] ? i : -1)).filter((i) => i >= 0);
  if (badAxes.length > 0) {
    const axis = badAxes[0];
    const shown = options.reveal
      ? `shape [${a.shape.join(', ')}] differs from the expected [${e.shape.join(', ')}] on axis ${axis} (${a.shape[axis]} instead of ${e.shape[axis]})`
      : `shape [${a.shape.join(', ')}] has the wrong size on axis ${axis} (${a.shape[axis]})`;
    return mismatch('shape', path, badAxes.length > 1 ? `${shown}; axes ${badAxes.join(', ')} all differ` : shown);
  }
  let firstNonFinite = -1;
  let nonFinite = 0;
  let differing = 0;
  let first = -1;
  let maxAbs = 0;
  let maxRel = 0;
  for (let i = 0; i < e.data.length; i++) {
    const x = a.data[i];
    const y = e.data[i];
    if (!Number.isFinite(x)) {
      nonFinite++;
      if (firstNonFinite < 0) firstNonFinite = i;
      continue;
    }
    const exact = e.dtype === 'bool' || e.dtype === 'int32';
    const ok = exact ? x === y : withinTolerance(y, x, options.tolerance);
    if (!ok) {
      differing++;
      if (first < 0) first = i;
      const abs = Math.abs(x - y);
      maxAbs = Math.max(maxAbs, abs);
      if (y !== 0) maxRel = Math.max(maxRel, abs / Math.abs(y));
    }
  }
  if (nonFinite > 0) {
    return mismatch('nonfinite', path, `${nonFinite} of ${e.data.length} values are not finite; the first, at ${formatIndex(firstNonFinite, e.shape)}, is ${a.data[firstNonFinite]}`);
  }
  if (differing === 0) return null;
  const at = formatIndex(first, e.shape);
  const firstText = options.reveal
    ? `first at ${at}: expected ${formatElement(e.data[first], e.dtype)}, got ${formatElement(a.data[first], e.dtype)}`
    : `first at ${at}`;
  // Error sizes, next to the student's own values, would give hidden expected values away.
  const errors = e.dtype === 'float32' && options.reveal ? `; max abs error ${formatNumber(maxAbs)}, max rel error ${formatNumber(maxRel)}` : '';
  return mismatch('values', path, `${differing} of ${e.data.length} values differ (${firstText})${errors}`);
}

function formatElement(x: number, dtype: string): string {
  return dtype === 'bool' ? String(x !== 0) : formatNumber(x);
}

/** Flat C-order offset to a multi-index "[i, j, k]". */
export function formatIndex(flat: number, shape: readonly number[]): string {
  const idx: number[] = [];
  let rest = flat;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    idx.unshift(rest % shape[axis]);
    rest = Math.floor(rest / shape[axis]);
  }
  return `[${idx.join(', ')}]`;
}

/** A compact summary of a value for result.json: type, shape and a few statistics. */
export function summarizeValue(v: Value): string {
  if (!isEncodedTensor(v)) {
    if (Array.isArray(v)) return `[${v.map(summarizeValue).join(', ')}]`;
    return describeValue(v);
  }
  const { dtype, shape, data } = v.$tensor;
  const head = `${dtype} [${shape.join(', ')}]`;
  if (data.length === 0) return `${head} (empty)`;
  if (dtype === 'bool') return `${head}, ${data.filter((x) => x !== 0).length} true`;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of data) {
    sum += x;
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  return `${head}, mean ${formatNumber(sum / data.length)}, min ${formatNumber(min)}, max ${formatNumber(max)}`;
}
