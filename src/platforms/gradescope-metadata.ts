/**
 * Gradescope's submission_metadata.json, as its autograder documentation describes it: when the
 * submission was made (`created_at`) and the assignment's due date (`assignment.due_date`). Both
 * come from Gradescope, not the student, so they decide lateness; a config's own deadline for a lab
 * wins over the assignment's. A due date of the submitters' own (`users[].assignment.due_date`,
 * where Gradescope records an extension) wins over both: the latest of them, for a group.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { parseSubmittedAt } from '../submission/roster.js';
import type { LateRules } from '../engine/scoring.js';
import type { LabDefinition } from '../engine/lab-definition.js';

export interface GradescopeTiming {
  submittedAt?: string;
  dueAt?: string;
  /** The due date is the submitters' own (an extension), not the assignment's. */
  personal?: boolean;
}

export function readGradescopeMetadata(file: string): GradescopeTiming {
  let data: { created_at?: unknown; assignment?: { due_date?: unknown }; users?: unknown };
  try {
    data = JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new UsageError(`Gradescope's metadata ${file} could not be read: ${(err as Error).message.split('\n')[0].slice(0, 200)}`);
  }
  const instant = (value: unknown, field: string) => (typeof value === 'string' && value !== '' ? parseSubmittedAt(value, `${file}: ${field}`) : undefined);
  const submittedAt = instant(data?.created_at, 'created_at');
  const personal = (Array.isArray(data?.users) ? data.users : [])
    .map((user: { assignment?: { due_date?: unknown } } | null, i: number) => instant(user?.assignment?.due_date, `users[${i}].assignment.due_date`))
    .filter((due): due is string => due !== undefined)
    .sort((a, b) => Date.parse(b) - Date.parse(a))[0];
  const dueAt = personal ?? instant(data?.assignment?.due_date, 'assignment.due_date');
  return { ...(submittedAt ? { submittedAt } : {}), ...(dueAt ? { dueAt } : {}), ...(personal ? { personal: true } : {}) };
}

/** The late rules with Gradescope's due date for every graded lab the config gives none, or for every lab where it is the submitters' own. */
export function withAssignmentDeadline(rules: LateRules | undefined, labs: readonly LabDefinition[], timing: GradescopeTiming): LateRules | undefined {
  if (!timing.dueAt) return rules;
  const assignment = Object.fromEntries(labs.map((l) => [l.id, timing.dueAt!]));
  const deadlines = timing.personal ? { ...rules?.deadlines, ...assignment } : { ...assignment, ...rules?.deadlines };
  return { ...rules, deadlines };
}
