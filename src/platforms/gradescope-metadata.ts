/**
 * Gradescope's submission_metadata.json, as its autograder documentation describes it: when the
 * submission was made (`created_at`) and the assignment's due date (`assignment.due_date`). Both
 * come from Gradescope, not the student, so they decide lateness; a config's own deadline for a lab
 * wins over the assignment's.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { parseSubmittedAt } from '../submission/roster.js';
import type { LateRules } from '../engine/scoring.js';
import type { LabDefinition } from '../engine/lab-definition.js';

export interface GradescopeTiming {
  submittedAt?: string;
  dueAt?: string;
}

export function readGradescopeMetadata(file: string): GradescopeTiming {
  let data: { created_at?: unknown; assignment?: { due_date?: unknown } };
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`Gradescope's metadata ${file} could not be read: ${(err as Error).message.split('\n')[0].slice(0, 200)}`);
  }
  const instant = (value: unknown, field: string) => (typeof value === 'string' && value !== '' ? parseSubmittedAt(value, `${file}: ${field}`) : undefined);
  const submittedAt = instant(data?.created_at, 'created_at');
  const dueAt = instant(data?.assignment?.due_date, 'assignment.due_date');
  return { ...(submittedAt ? { submittedAt } : {}), ...(dueAt ? { dueAt } : {}) };
}

/** The late rules with the assignment's due date for every graded lab the config gives none. */
export function withAssignmentDeadline(rules: LateRules | undefined, labs: readonly LabDefinition[], dueAt: string | undefined): LateRules | undefined {
  if (!dueAt) return rules;
  const deadlines = { ...Object.fromEntries(labs.map((l) => [l.id, dueAt])), ...(rules?.deadlines ?? {}) };
  return { ...rules, deadlines };
}
