/**
 * Tensors and models to and from the encoding the contract defines (contract/values.ts): the child
 * encodes what submitted code returns, and fixtures are built by decoding theirs.
 */
import type * as tfType from '@tensorflow/tfjs';
import { DEFAULT_LIMITS, DTYPES, isEncodedModel, isEncodedTensor, isUnsupported, tensorSize, type EncodeLimits, type TensorDtype, type Value } from '../contract/values.js';
import { summarizeModel } from '../contract/summary.js';

/** Encodes a value returned by tfjs code; tensors are read synchronously. */
export function encodeValue(tf: typeof tfType, value: unknown, limits: EncodeLimits = DEFAULT_LIMITS): Value {
  let budget = limits.maxElements;
  const seen = new Set<unknown>();
  const walk = (v: unknown, depth: number): Value => {
    if (v === null) return null;
    if (v === undefined) return { $unsupported: 'undefined' };
    if (typeof v === 'number' || typeof v === 'boolean') return v;
    if (typeof v === 'string') {
      if (v.length > limits.maxStringLength || v.length > budget) return { $unsupported: `a string of ${v.length} characters` };
      budget -= v.length;
      return v;
    }
    if (typeof v === 'bigint') return { $unsupported: 'a bigint' };
    if (typeof v === 'function') return { $unsupported: 'a function' };
    if (typeof v !== 'object') return { $unsupported: typeof v };
    if (depth > limits.maxDepth) return { $unsupported: `nesting deeper than ${limits.maxDepth} levels` };
    if (seen.has(v)) return { $unsupported: 'a circular reference' };
    if (v instanceof tf.Tensor) {
      if (v.isDisposed) return { $unsupported: 'a disposed tensor' };
      const size = tensorSize(v.shape);
      if (size > budget) return { $unsupported: `a tensor of ${size} elements (limit ${limits.maxElements})` };
      budget -= size;
      if (!DTYPES.has(v.dtype)) return { $unsupported: `a ${String(v.dtype).slice(0, 20)} tensor` };
      return { $tensor: { dtype: v.dtype as TensorDtype, shape: [...v.shape], data: Array.from(v.dataSync() as ArrayLike<number>) } };
    }
    if (v instanceof tf.LayersModel) {
      const summary = summarizeModel(v);
      if (summary.rows.length > limits.maxKeys) return { $unsupported: `a model of ${summary.rows.length} layers` };
      return { $model: summary };
    }
    if (typeof (v as { then?: unknown }).then === 'function') return { $unsupported: 'a Promise (the function must not be async)' };
    seen.add(v);
    try {
      if (Array.isArray(v)) {
        if (v.length > budget) return { $unsupported: `an array of ${v.length} items (limit ${limits.maxElements})` };
        budget -= v.length;
        return v.map((item) => walk(item, depth + 1));
      }
      if (ArrayBuffer.isView(v)) return { $unsupported: `a ${String(v.constructor?.name).slice(0, 40)} (return a tensor instead)` };
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return { $unsupported: `an instance of ${String(proto?.constructor?.name ?? 'a class').slice(0, 40)}` };
      const keys = Object.keys(v);
      if (keys.length > limits.maxKeys) return { $unsupported: `an object with ${keys.length} keys` };
      const long = keys.find((k) => k.length > limits.maxKeyLength);
      if (long !== undefined) return { $unsupported: `an object with a key of ${long.length} characters` };
      const keyChars = keys.reduce((n, k) => n + k.length, 0);
      if (keyChars > budget) return { $unsupported: `an object whose keys exceed the size limit` };
      budget -= keyChars;
      // "$" keys mark encoded tensors and models: a plain object may not pass itself off as one.
      const reserved = keys.find((k) => k.startsWith('$'));
      if (reserved !== undefined) return { $unsupported: `an object with the reserved key "${reserved.slice(0, 40)}"` };
      const out: Record<string, Value> = {};
      for (const key of keys) out[key] = walk((v as Record<string, unknown>)[key], depth + 1);
      return out;
    } finally {
      seen.delete(v);
    }
  };
  return walk(value, 0);
}

/** Turns an encoded value back into tfjs tensors and plain data (for calling functions with fixtures). */
export function decodeToTf(tf: typeof tfType, value: Value): unknown {
  if (isEncodedTensor(value)) {
    const { dtype, shape, data } = value.$tensor;
    return tf.tensor(data, shape, dtype);
  }
  if (Array.isArray(value)) return value.map((v) => decodeToTf(tf, v));
  if (value !== null && typeof value === 'object' && !isUnsupported(value) && !isEncodedModel(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeToTf(tf, v)]));
  }
  return value;
}
