/**
 * A sandboxed process is untrusted: the grading process looks only at messages of the protocol's
 * shape, of the kinds its role may send, with bounded sizes; anything else ends that child.
 */
import type { ChildMessage, ThrownError } from './protocol.js';
import { CHANNEL_NORMS_SIZE, WEIGHTS_SAMPLE_SIZE } from '../models/weights-sample.js';
import type { ChildRole } from './permissions.js';

const ROLE_MESSAGES: Record<ChildRole, ReadonlySet<string>> = {
  submission: new Set(['ready', 'loaded', 'load-failed', 'backend-failed', 'result', 'threw', 'stale', 'topology']),
  trainer: new Set(['ready', 'backend-failed', 'progress', 'trained', 'threw']),
  evaluator: new Set(['ready', 'backend-failed', 'evaluated', 'rejected', 'threw']),
};

/** Training logs: a few metrics by plain names (they are printed), numbers (NaN allowed: a diverging run). */
const isLogRecord = (v: unknown) =>
  typeof v === 'object' && v !== null && Object.keys(v).length <= 20 && Object.entries(v).every(([k, x]) => /^[\w.-]{1,40}$/.test(k) && typeof x === 'number');
const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
const isShortWord = (v: unknown) => typeof v === 'string' && /^[\w.-]{1,32}$/.test(v);

/** A trained model: weight specs that add up to the weight data, history of numbers. */
function isTrainedMessage(m: Record<string, unknown>): boolean {
  const artifacts = m.artifacts as Record<string, unknown> | undefined;
  if (!artifacts || typeof artifacts.modelTopology !== 'object' || artifacts.modelTopology === null || !(artifacts.weightData instanceof ArrayBuffer)) return false;
  const specs = artifacts.weightSpecs;
  if (!Array.isArray(specs) || specs.length > 10_000) return false;
  let floats = 0;
  for (const spec of specs as Record<string, unknown>[]) {
    if (typeof spec?.name !== 'string' || spec.name.length > 200 || spec.dtype !== 'float32' || !Array.isArray(spec.shape) || !spec.shape.every(isCount)) return false;
    floats += (spec.shape as number[]).reduce((a, b) => a * b, 1);
  }
  if (floats * 4 !== artifacts.weightData.byteLength) return false;
  if (!isLogRecordOfArrays(m.history)) return false;
  const reductions = m.reductions;
  if (!Array.isArray(reductions) || reductions.length > 1000) return false;
  if (!reductions.every((r: { epoch?: unknown; learningRate?: unknown }) => isCount(r?.epoch) && Number.isFinite(r?.learningRate))) return false;
  return typeof m.durationMs === 'number';
}

/** Per-epoch histories: plain names, arrays of numbers, all of one length. */
function isLogRecordOfArrays(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const entries = Object.entries(v);
  if (entries.length > 20 || !entries.every(([k, a]) => /^[\w.-]{1,40}$/.test(k) && Array.isArray(a) && a.length <= 100_000 && a.every((x) => typeof x === 'number'))) return false;
  return new Set(entries.map(([, a]) => (a as unknown[]).length)).size <= 1;
}

function isScores(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const entries = Object.entries(v);
  return entries.length <= 4 && entries.every(([k, s]) => /^\w{1,20}$/.test(k) && isCount((s as { correct?: unknown })?.correct) && isCount((s as { total?: unknown })?.total) && (s as { correct: number }).correct <= (s as { total: number }).total);
}

/** Whether `m` is a message a child of `role` may send. */
export function isChildMessage(m: unknown, role: ChildRole): m is ChildMessage {
  if (typeof m !== 'object' || m === null) return false;
  const message = m as Record<string, unknown>;
  const { type, id } = message;
  if (typeof type !== 'string' || !ROLE_MESSAGES[role].has(type)) return false;
  if (!['ready', 'loaded', 'load-failed', 'backend-failed'].includes(type) && !isCount(id)) return false;
  switch (type) {
    case 'ready': {
      // These end up in reports: plain version-like words only.
      const { backend, tfjsVersion, device, passedOver } = message;
      const passedOverOk = passedOver === undefined || (typeof passedOver === 'string' && /^[\w .,:;?()+-]{1,300}$/.test(passedOver));
      return isShortWord(backend) && isShortWord(tfjsVersion) && typeof device === 'string' && /^[\w .,()+-]{1,80}$/.test(device) && passedOverOk;
    }
    case 'loaded': {
      const exports = message.exports;
      return typeof exports === 'object' && exports !== null && Object.keys(exports).length <= 1000 && Object.entries(exports).every(([k, v]) => k.length <= 200 && typeof v === 'string' && v.length <= 20);
    }
    case 'backend-failed':
      return typeof message.reason === 'string';
    case 'progress':
      return [message.epoch, message.epochs, message.batch, message.batches].every(isCount) && isLogRecord(message.logs);
    case 'trained':
      return isTrainedMessage(message);
    case 'topology':
      return typeof message.topology === 'string' && typeof message.durationMs === 'number';
    case 'evaluated':
      return (
        isScores(message.scores) &&
        typeof message.weightsSha256 === 'string' &&
        /^[0-9a-f]{64}$/.test(message.weightsSha256) &&
        Array.isArray(message.weightsSample) &&
        message.weightsSample.length <= WEIGHTS_SAMPLE_SIZE &&
        message.weightsSample.every((v: unknown) => typeof v === 'number' && Number.isFinite(v)) &&
        Array.isArray(message.channelNorms) &&
        message.channelNorms.length <= CHANNEL_NORMS_SIZE &&
        message.channelNorms.every((v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0) &&
        typeof message.durationMs === 'number'
      );
    case 'rejected':
      return typeof message.reason === 'string' && typeof message.durationMs === 'number';
    case 'stale':
      return Array.isArray(message.tampered);
    default:
      return true;
  }
}

/** Keeps only the expected shape and bounded lengths of an error reported by the child. */
export function sanitizeError(error: unknown): ThrownError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const text = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : undefined);
  return { name: text(e.name, 100) ?? 'Error', message: text(e.message, 2000) ?? 'unknown error', stack: text(e.stack, 4000) };
}

/** A tampered list from the child: labgrade's own names for what changed, at most ten. */
export function tamperedNames(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string' && /^[\w .$()-]{1,80}$/.test(t)).slice(0, 10) : [];
}
