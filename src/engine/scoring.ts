/**
 * Points are resolved here and nowhere else: an exercise's points are split evenly over its checks,
 * a check earns its share when it passes, and totals add up exercises and labs. A public check pays
 * only when at least one hidden check of its exercise passes too: the public cases' answers ship in
 * the student kit, and answers looked up there must earn nothing. Partial work that really computes
 * passes hidden checks as well and keeps its public points. A hidden edge case whose answer a stub
 * gives without computing (pad 0: the input back; a 1×1 matrix: the value itself) unlocks nothing
 * and pays on the same terms as a public check.
 */
import type { CheckResult, ExerciseStatus, LabResult, LateRecord } from '../contract/result.js';

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

export const DAY_MS = 24 * 60 * 60 * 1000;

/** A course's deadlines and late policy, as labgrade.config.json gives them. */
export interface LateRules {
  deadlines: Readonly<Record<string, string>>;
  policy?: { percentPerDay: number; capPercent?: number; graceMinutes?: number; slackDays?: number };
}

/**
 * Applies the late policy to a submission's labs: each day, or part of one, after a lab's deadline
 * (and its grace period) takes percentPerDay of the lab's points, up to capPercent. Slack days are
 * the student's to spend, on the labs in order of their deadlines, before anything is taken. A lab
 * with a deadline but no known submission time says so and loses nothing.
 */
export function applyLatePolicy(labs: readonly LabResult[], submittedAt: string | undefined, rules: LateRules): LabResult[] {
  const policy = rules.policy;
  const submitted = submittedAt === undefined ? undefined : Date.parse(submittedAt);
  let slackLeft = policy?.slackDays ?? 0;
  const byDeadline = labs
    .map((lab, index) => ({ lab, index, due: rules.deadlines[lab.id] }))
    .filter((x): x is { lab: LabResult; index: number; due: string } => x.due !== undefined && x.lab.status !== 'missing')
    .sort((a, b) => Date.parse(a.due) - Date.parse(b.due) || a.index - b.index);
  const late = new Map<number, LateRecord>();
  for (const { lab, index, due } of byDeadline) {
    if (submitted === undefined) {
      late.set(index, { dueAt: due, daysLate: 0, slackDaysUsed: 0, percent: 0, deduction: 0, pointsBeforeDeduction: lab.points });
      continue;
    }
    const overMs = submitted - Date.parse(due) - (policy?.graceMinutes ?? 0) * 60_000;
    const daysLate = overMs > 0 ? Math.ceil(overMs / DAY_MS) : 0;
    const slackDaysUsed = Math.min(slackLeft, daysLate);
    slackLeft -= slackDaysUsed;
    const percent = policy ? Math.min(policy.capPercent ?? 100, (daysLate - slackDaysUsed) * policy.percentPerDay) : 0;
    const deduction = roundPoints((lab.points * percent) / 100);
    late.set(index, { dueAt: due, submittedAt: submittedAt!, daysLate, slackDaysUsed, percent, deduction, pointsBeforeDeduction: lab.points });
  }
  return labs.map((lab, index) => {
    const record = late.get(index);
    return record ? { ...lab, points: roundPoints(lab.points - record.deduction), late: record } : lab;
  });
}
