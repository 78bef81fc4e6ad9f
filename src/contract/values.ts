/**
 * The values that cross the boundary between the grading process and a submission's process,
 * and that fixtures store: plain JSON data plus tensors encoded as `{ $tensor: {...} }`.
 *
 * Both sides use this one encoding: the child encodes what student code returns (the sandbox's
 * codec.ts), the parent validates it here (type, shape, size) before comparing, so nothing the
 * child sends is trusted.
 */
import { validateSummary, type ModelSummary } from './summary.js';

export type TensorDtype = 'float32' | 'int32' | 'bool';
export const DTYPES: ReadonlySet<string> = new Set(['float32', 'int32', 'bool']);

export interface EncodedTensor {
  $tensor: { dtype: TensorDtype; shape: number[]; data: number[] };
}
/** A tfjs-layers model, sent as its layer summary (the weights stay in the child). */
export interface EncodedModel {
  $model: ModelSummary;
}
/** Something student code returned that has no faithful encoding (a function, a Promise, undefined...). */
export interface UnsupportedValue {
  $unsupported: string;
}
export type Value =
  | null
  | boolean
  | number
  | string
  | Value[]
  | EncodedTensor
  | EncodedModel
  | UnsupportedValue
  | { [key: string]: Value };

export interface EncodeLimits {
  /** Total tensor elements, array items and string and key characters in one value; more is refused rather than copied. */
  maxElements: number;
  maxDepth: number;
  maxKeys: number;
  /** Longest string; a result has no business being a novel. */
  maxStringLength: number;
  /** Longest object key: keys are counted like strings, and reports show them. */
  maxKeyLength: number;
}

export const DEFAULT_LIMITS: EncodeLimits = { maxElements: 5_000_000, maxDepth: 16, maxKeys: 1000, maxStringLength: 10_000, maxKeyLength: 100 };

export function isEncodedTensor(v: unknown): v is EncodedTensor {
  return typeof v === 'object' && v !== null && '$tensor' in v;
}
export function isEncodedModel(v: unknown): v is EncodedModel {
  return typeof v === 'object' && v !== null && '$model' in v;
}
export function isUnsupported(v: unknown): v is UnsupportedValue {
  return typeof v === 'object' && v !== null && '$unsupported' in v;
}

export function tensorSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Checks that untrusted data is a well-formed Value (the child's reply), returning a reason if not.
 * Tensor data must be numbers, and as many as the shape says. Every tensor element, array item,
 * string character and key character counts against one budget (limits.maxElements) for the whole
 * value, so nothing a submission returns is larger than that, however it is built.
 */
export function validateValue(v: unknown, limits: EncodeLimits = DEFAULT_LIMITS): string | null {
  let budget = limits.maxElements;
  const spend = (n: number) => (budget -= n) < 0;
  const walk = (v: unknown, depth: number): string | null => {
    if (v === null || typeof v === 'boolean' || typeof v === 'number') return null;
    if (typeof v === 'string') return v.length > limits.maxStringLength ? 'string too long' : spend(v.length) ? 'value too large' : null;
    if (depth > limits.maxDepth + 1) return 'value nested too deeply';
    if (Array.isArray(v)) {
      if (v.length > limits.maxElements || spend(v.length)) return 'array too long';
      for (const item of v) {
        const r = walk(item, depth + 1);
        if (r) return r;
      }
      return null;
    }
    if (typeof v !== 'object') return `unexpected ${typeof v}`;
    if (isUnsupported(v)) return typeof v.$unsupported === 'string' && v.$unsupported.length <= 200 && Object.keys(v).length === 1 ? null : 'malformed unsupported marker';
    // Validated before it is measured: the cells' nesting is bounded once validateSummary passes.
    if (isEncodedModel(v)) return validateSummary(v.$model) ?? (spend(JSON.stringify(v.$model).length) ? 'model summary too large' : null);
    if (isEncodedTensor(v)) {
      const t = v.$tensor as unknown as Record<string, unknown>;
      if (typeof t !== 'object' || t === null) return 'malformed tensor';
      const { dtype, shape, data } = t;
      if (typeof dtype !== 'string' || !DTYPES.has(dtype)) return 'unknown tensor dtype';
      if (!Array.isArray(shape) || shape.length > 8 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return 'malformed tensor shape';
      if (!Array.isArray(data) && !ArrayBuffer.isView(data)) return 'malformed tensor data';
      const size = tensorSize(shape as number[]);
      if (size > limits.maxElements || spend(size)) return 'tensor exceeds the size limit';
      const arr = data as ArrayLike<unknown>;
      if (arr.length !== size) return `tensor data has ${arr.length} values for shape [${(shape as number[]).join(', ')}]`;
      for (let i = 0; i < arr.length; i++) if (typeof arr[i] !== 'number') return 'tensor data holds a non-number';
      return null;
    }
    const keys = Object.keys(v);
    if (keys.length > limits.maxKeys) return 'object with too many keys';
    for (const key of keys) if (key.length > limits.maxKeyLength || spend(key.length)) return 'object key too long';
    for (const key of keys) {
      const r = walk((v as Record<string, unknown>)[key], depth + 1);
      if (r) return r;
    }
    return null;
  };
  return walk(v, 0);
}

/** A number as feedback shows it: 8 significant digits, exponents for the very small and large. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && (Math.abs(x) < 1e-4 || Math.abs(x) >= 1e6)) return x.toExponential(6);
  return Number(x.toPrecision(8)).toString();
}
