/**
 * Caps on every text a result carries, applied to each lab's result as it is finished: a message,
 * a value's summary, the student's code, a training's costs. What a submission returns or throws
 * reaches reports only through these fields, and a lab's checks are labgrade's, so one student's reports stay within a
 * few megabytes whatever the submission does.
 */
import type { CheckResult, ExerciseResult, LabResult } from '../contract/result.js';

export const TEXT_CAPS = { message: 4000, summary: 600, description: 1000, code: 20_000 } as const;
/** The most epochs' costs a result keeps (the course's recipe has 100). */
export const MAX_COSTS = 1000;

export function capText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function capOptional(text: string | undefined, max: number): string | undefined {
  return text === undefined ? undefined : capText(text, max);
}

function boundCheck(check: CheckResult): CheckResult {
  return {
    ...check,
    message: capText(check.message, TEXT_CAPS.message),
    description: capText(check.description, TEXT_CAPS.description),
    ...(check.expected !== undefined ? { expected: capText(check.expected, TEXT_CAPS.summary) } : {}),
    ...(check.actual !== undefined ? { actual: capText(check.actual, TEXT_CAPS.summary) } : {}),
  };
}

function boundExercise(ex: ExerciseResult): ExerciseResult {
  const message = capOptional(ex.message, TEXT_CAPS.message);
  const code = capOptional(ex.code, TEXT_CAPS.code);
  // A training exercise's costs are the submission's own numbers: as many as it returned, up to a bound.
  const metrics = ex.metrics && ex.metrics.costs.length > MAX_COSTS ? { ...ex.metrics, costs: ex.metrics.costs.slice(0, MAX_COSTS) } : ex.metrics;
  return { ...ex, checks: ex.checks.map(boundCheck), ...(message !== undefined ? { message } : {}), ...(code !== undefined ? { code } : {}), ...(metrics ? { metrics } : {}) };
}

export function boundLab(lab: LabResult): LabResult {
  const message = capOptional(lab.message, TEXT_CAPS.message);
  return { ...lab, exercises: lab.exercises.map(boundExercise), ...(message !== undefined ? { message } : {}) };
}
