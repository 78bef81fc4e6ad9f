/**
 * Points are resolved here and nowhere else: an exercise's points are split evenly over its checks,
 * a check earns its share when it passes, and totals add up exercises and labs. A public check pays
 * only when at least one hidden check of its exercise passes too: the public cases' answers ship in
 * the student kit, and answers looked up there must earn nothing. Partial work that really computes
 * passes hidden checks as well and keeps its public points. A hidden edge case whose answer a stub
 * gives without computing (pad 0: the input back; a 1×1 matrix: the value itself) unlocks nothing
 * and pays on the same terms as a public check.
 */
import type { CheckResult, ExerciseStatus } from './model.js';

/** Rounds to hundredths; points are shown with two decimals at most. */
export function roundPoints(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Splits `total` into `count` shares of hundredths that add up to `total` exactly. */
export function splitPoints(total: number, count: number): number[] {
  if (count === 0) return [];
  const cents = Math.round(total * 100);
  const base = Math.floor(cents / count);
  return Array.from({ length: count }, (_, i) => (base + (i < cents - base * count ? 1 : 0)) / 100);
}

export type UnscoredCheck = Omit<CheckResult, 'points' | 'maxPoints'> & { edgeCase?: boolean };

export const PUBLIC_WITHHELD = 'No points: a public check counts only when at least one hidden check of the same function passes too (the public answers are in the student kit).';

export const EDGE_CASE_WITHHELD = 'No points: this hidden check counts only when another hidden check of the same function passes too.';

export function scoreChecks(exercisePoints: number, checks: UnscoredCheck[]): CheckResult[] {
  const shares = splitPoints(exercisePoints, checks.length);
  const hidden = checks.filter((c) => !c.public);
  const unlocking = hidden.filter((c) => !c.edgeCase);
  const unlocked = hidden.length === 0 || (unlocking.length > 0 ? unlocking : hidden).some((c) => c.passed);
  return checks.map(({ edgeCase, ...check }, i) => {
    const withheld = check.passed && (check.public || edgeCase === true) && !unlocked;
    return { ...check, maxPoints: shares[i], points: check.passed && !withheld ? shares[i] : 0, ...(withheld ? { withheld: check.public ? PUBLIC_WITHHELD : EDGE_CASE_WITHHELD } : {}) };
  });
}

/**
 * An exercise's status sums up its checks. An error or a timeout outranks a wrong answer, and the
 * first of them, in the order the checks ran, names the cause: checks cut short after a crash ate
 * the time are a consequence, not the cause.
 */
export function exerciseStatus(checks: readonly CheckResult[]): ExerciseStatus {
  if (checks.length === 0 || checks.every((c) => c.status === 'skipped')) return 'skipped';
  const cause = checks.find((c) => c.status === 'error' || c.status === 'timeout');
  if (cause) return cause.status as ExerciseStatus;
  return checks.every((c) => c.passed) ? 'passed' : 'failed';
}

export function sumPoints(items: readonly { points: number; maxPoints: number }[]): { points: number; maxPoints: number } {
  return {
    points: roundPoints(items.reduce((s, x) => s + x.points, 0)),
    maxPoints: roundPoints(items.reduce((s, x) => s + x.maxPoints, 0)),
  };
}
