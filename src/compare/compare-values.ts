/**
 * Whole-value comparison of a student's output with the expected one: type, dtype, rank, shape
 * (naming the axis), then values with a stated tolerance, naming the first wrong index, how many
 * elements differ and the largest errors. Hidden checks get the same diagnosis without expected values.
 */
import { formatNumber, isEncodedModel, isEncodedTensor, isUnsupported, type EncodedTensor, type Value } from '../contract/values.js';
import { compareSummaries } from './compare-summaries.js';
import type { MessageRef } from '../contract/result.js';
import { english, msg } from '../i18n/messages.js';

export interface Tolerance {
  /** |actual - expected| <= atol + rtol * |expected| */
  rtol: number;
  atol: number;
}

export const MISMATCH_KINDS = ['type', 'unsupported', 'dtype', 'rank', 'shape', 'length', 'keys', 'nonfinite', 'values', 'model'] as const;
export type MismatchKind = (typeof MISMATCH_KINDS)[number];

export interface Mismatch {
  kind: MismatchKind;
  /** Where in the output, e.g. "Z" or "cache[3].stride"; empty for the whole output. */
  path: string;
  /** The English text of `ref`. */
  message: string;
  ref: MessageRef;
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
      return mismatch('type', '', msg('compare.tuple-type', { names: names.join(', '), actual: describeValue(actual) }));
    }
    if (actual.length !== expected.length) {
      return mismatch('length', '', msg('compare.tuple-length', { count: String(expected.length), names: names.join(', '), actualCount: String(actual.length) }));
    }
    for (let i = 0; i < expected.length; i++) {
      const m = compareAt(expected[i], actual[i], names[i] ?? `[${i}]`, options);
      if (m) return m;
    }
    return null;
  }
  return compareAt(expected, actual, names?.[0] ?? '', options);
}

function mismatch(kind: MismatchKind, path: string, detail: MessageRef): Mismatch {
  const ref = path ? msg('compare.at', { path, detail }) : detail;
  return { kind, path, message: english(ref), ref };
}

const shapeText = (shape: readonly number[]) => shape.join(', ');

function compareAt(expected: Value, actual: Value, path: string, options: CompareOptions): Mismatch | null {
  if (isUnsupported(actual)) return mismatch('unsupported', path, msg('compare.unsupported', { what: actual.$unsupported }));
  if (actual === null && expected !== null) {
    return mismatch('type', path, options.reveal ? msg('compare.null-expected', { expected: describeValue(expected) }) : msg('compare.null'));
  }
  if (isEncodedTensor(expected)) return compareTensor(expected, actual, path, options);
  if (typeof expected === 'number') {
    if (typeof actual !== 'number') {
      return mismatch('type', path, msg(isEncodedTensor(actual) ? 'compare.number-type-tensor' : 'compare.number-type', { actual: describeValue(actual) }));
    }
    if (!Number.isFinite(actual)) return mismatch('nonfinite', path, msg('compare.nonfinite-number', { value: String(actual) }));
    if (!withinTolerance(expected, actual, options.tolerance)) {
      // The error magnitude would give a hidden expected value away, so only public checks show it.
      const shown = options.reveal
        ? msg('compare.number', { expected: formatNumber(expected), actual: formatNumber(actual), error: formatNumber(Math.abs(actual - expected)) })
        : msg('compare.not-expected', { actual: formatNumber(actual) });
      return mismatch('values', path, shown);
    }
    return null;
  }
  if (expected === null || typeof expected === 'boolean' || typeof expected === 'string') {
    if (actual !== expected) {
      const shown = options.reveal ? msg('compare.value', { expected: describeValue(expected), actual: describeValue(actual) }) : msg('compare.not-expected', { actual: describeValue(actual) });
      return mismatch(typeof actual === typeof expected ? 'values' : 'type', path, shown);
    }
    return null;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return mismatch('type', path, msg('compare.array-type', { count: String(expected.length), actual: describeValue(actual) }));
    if (actual.length !== expected.length) return mismatch('length', path, msg('compare.array-length', { count: String(expected.length), actualCount: String(actual.length) }));
    for (let i = 0; i < expected.length; i++) {
      const m = compareAt(expected[i], actual[i], `${path}[${i}]`, options);
      if (m) return m;
    }
    return null;
  }
  if (isUnsupported(expected)) return null; // fixtures never hold these
  if (isEncodedModel(expected)) {
    if (!isEncodedModel(actual)) return mismatch('type', path, msg('compare.model-type', { actual: describeValue(actual) }));
    const { differences } = compareSummaries(expected.$model, actual.$model);
    if (differences.length === 0) return null;
    // The differences spell out the expected layers, which a hidden check must not show.
    return mismatch('model', path, options.reveal ? msg('compare.model', { differences }) : msg('compare.model-hidden', { count: differences.length }));
  }
  if (actual === null || typeof actual !== 'object' || Array.isArray(actual) || isEncodedTensor(actual) || isEncodedModel(actual)) {
    return mismatch('type', path, msg('compare.object-type', { keys: Object.keys(expected).join(', '), actual: describeValue(actual) }));
  }
  for (const key of Object.keys(expected)) {
    if (!(key in actual)) return mismatch('keys', path, msg('compare.missing-key', { key }));
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
    const wanted = options.reveal ? msg('value.tensor', { dtype: e.dtype, shape: shapeText(e.shape) }) : msg('value.tensor-hidden', { dtype: e.dtype });
    return mismatch('type', path, msg(Array.isArray(actual) ? 'compare.tensor-type-array' : 'compare.tensor-type', { expected: wanted, actual: describeValue(actual) }));
  }
  const a = actual.$tensor;
  if (a.dtype !== e.dtype) {
    const id = e.dtype === 'bool' ? 'compare.dtype-bool' : e.dtype === 'float32' ? 'compare.dtype-float' : 'compare.dtype';
    return mismatch('dtype', path, msg(id, { expected: e.dtype, actual: a.dtype }));
  }
  if (a.shape.length !== e.shape.length) {
    const actualRank = { rank: String(a.shape.length), shape: shapeText(a.shape) };
    const shown = options.reveal ? msg('compare.rank', { ...actualRank, expectedRank: String(e.shape.length), expectedShape: shapeText(e.shape) }) : msg('compare.rank-hidden', actualRank);
    return mismatch('rank', path, shown);
  }
  const badAxes = e.shape.map((d, i) => (d !== a.shape[i] ? i : -1)).filter((i) => i >= 0);
  if (badAxes.length > 0) {
    const axis = badAxes[0];
    const actualShape = { shape: shapeText(a.shape), axis: String(axis), size: String(a.shape[axis]) };
    const shown = options.reveal ? msg('compare.shape', { ...actualShape, expectedShape: shapeText(e.shape), expectedSize: String(e.shape[axis]) }) : msg('compare.shape-hidden', actualShape);
    return mismatch('shape', path, badAxes.length > 1 ? msg('compare.shape-axes', { first: shown, axes: badAxes.join(', ') }) : shown);
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
    return mismatch('nonfinite', path, msg('compare.nonfinite', { count: String(nonFinite), total: String(e.data.length), at: formatIndex(firstNonFinite, e.shape), value: String(a.data[firstNonFinite]) }));
  }
  if (differing === 0) return null;
  const at = formatIndex(first, e.shape);
  const counts = { count: String(differing), total: String(e.data.length), at };
  if (!options.reveal) return mismatch('values', path, msg('compare.values-hidden', counts));
  const expectedActual = { expected: formatElement(e.data[first], e.dtype), actual: formatElement(a.data[first], e.dtype) };
  // Error sizes, next to the student's own values, would give hidden expected values away.
  return mismatch('values', path, e.dtype === 'float32'
    ? msg('compare.values-errors', { ...counts, ...expectedActual, abs: formatNumber(maxAbs), rel: formatNumber(maxRel) })
    : msg('compare.values', { ...counts, ...expectedActual }));
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

/** What a value is, in a few words ("a float32 tensor of shape [2, 3]", "the number 1.5"). */
export function describeValue(v: Value): MessageRef {
  if (v === null) return msg('value.null');
  if (typeof v === 'number') return msg('value.number', { value: formatNumber(v) });
  if (typeof v === 'boolean') return msg('value.boolean', { value: String(v) });
  if (typeof v === 'string') return msg('value.string', { value: JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) });
  if (Array.isArray(v)) return msg('value.array', { count: v.length });
  if (isEncodedTensor(v)) return msg('value.tensor', { dtype: v.$tensor.dtype, shape: shapeText(v.$tensor.shape) });
  if (isUnsupported(v)) return msg('value.unsupported', { what: v.$unsupported });
  if (isEncodedModel(v)) return msg('value.model', { count: v.$model.rows.length });
  const keys = Object.keys(v);
  return msg('value.object', { keys: `${keys.slice(0, 8).map((k) => (k.length > 40 ? `${k.slice(0, 40)}…` : k)).join(', ')}${keys.length > 8 ? ', …' : ''}` });
}

/** The items of an array a summary shows. */
const SUMMARY_ITEMS = 10;

/** A compact summary of a value for result.json and the report: type, shape and a few statistics. */
export function summarizeValue(v: Value): MessageRef {
  if (!isEncodedTensor(v)) {
    if (!Array.isArray(v)) return describeValue(v);
    // "[a, b, c]": the items as a chain of pairs, so that each language writes its own comma; the
    // first few only (a submission may return thousands, and a chain is as deep as it is long).
    const shown = v.slice(0, SUMMARY_ITEMS).map(summarizeValue);
    if (v.length > SUMMARY_ITEMS) shown.push(msg('summary.more', { count: String(v.length - SUMMARY_ITEMS) }));
    const items = shown.reduceRight<MessageRef | null>((rest, first) => (rest ? msg('summary.items', { first, rest }) : first), null);
    return msg('summary.list', { items: items ?? '' });
  }
  const { dtype, shape, data } = v.$tensor;
  const head = { dtype, shape: shapeText(shape) };
  if (data.length === 0) return msg('summary.empty', head);
  if (dtype === 'bool') return msg('summary.bool', { ...head, count: String(data.filter((x) => x !== 0).length) });
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of data) {
    sum += x;
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  return msg('summary.tensor', { ...head, mean: formatNumber(sum / data.length), min: formatNumber(min), max: formatNumber(max) });
}
