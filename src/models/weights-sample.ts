/**
 * A trained model's weights, sampled for comparing with other models: the same kernel values at the
 * same positions of the course architecture, however the file was saved, and each kernel's sorted
 * channel norms, which do not move when a block's channels are reordered. Two trainings from their
 * own random starts correlate near 0 (about ±0.05 by chance for this many values); a copy, even
 * with some values changed, or a model further trained from another's weights, correlates far more.
 */
import { correlation } from '../compare/correlation.js';

/** How many kernel values an evaluator samples from a model's weights (weights-sample.ts). */
export const WEIGHTS_SAMPLE_SIZE = 512;
/** Sorted per-channel norms sent for a trained model: at most 16 a kernel, ResNet50 has 54 kernels. */
export const CHANNEL_NORMS_SIZE = 1024;
/** At least this correlation: the same weights, or weights made from them. */
export const SAME_WEIGHTS_CORRELATION = 0.5;

/** Sorted channel norms kept per kernel. */
export const NORMS_PER_KERNEL = 16;
/** At least this share of channel norms agreeing: the same weights with their channels reordered. */
export const SAME_CHANNEL_NORMS = 0.5;

/**
 * The share of two models' sorted channel norms that agree to 0.1% (null where not comparable).
 * Reordering channels, or negating weights, leaves every norm as it was; two trainings of their own
 * agree only where their sorted curves happen to cross.
 */
export function channelNormAgreement(a: readonly number[] | undefined, b: readonly number[] | undefined): number | null {
  if (!a || !b || a.length !== b.length || a.length === 0) return null;
  return a.filter((x, i) => Math.abs(x - b[i]) <= 1e-3 * Math.max(Math.abs(x), Math.abs(b[i])) + 1e-12).length / a.length;
}

/** `count` positions spread evenly over `total` values, in order. */
export function samplePositions(total: number, count: number): number[] {
  return total === 0 ? [] : Array.from({ length: Math.min(count, total) }, (_, i) => Math.floor(((i + 0.5) * total) / Math.min(count, total)));
}

/** The correlation of two samples where they are comparable (the same length), else null. */
export function sampleCorrelation(a: readonly number[] | undefined, b: readonly number[] | undefined): number | null {
  return a && b && a.length === b.length && a.length > 0 ? correlation(a, b) : null;
}
