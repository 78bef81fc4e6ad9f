/**
 * Time limits from measurement: a class run first grades the reference solution of each lab on
 * this machine, under the same sandbox, backend and share of the cores as the students, and each
 * limit becomes a few times the reference's own time, between a floor and the lab's fixed limit.
 * One student can then hold a job not much longer than an honest slow submission would (Lab 2's
 * 20-minute training limit, say, becomes a few minutes where the reference trains in 35 s).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../paths.js';
import { openSubmission } from './grade-submission.js';
import { gradeLab } from './grade-lab.js';
import type { GradeLabOptions, LabTimeouts } from './lab-context.js';
import type { LabDefinition } from './lab-definition.js';

/** A limit is this many times the reference's time, plus the slack (a process start, a busy machine). */
export const CALIBRATION = { factor: 4, slackMs: 10_000, exerciseFloorMs: 15_000, labFloorMs: 90_000 } as const;

const clamp = (x: number, low: number, high: number) => Math.round(Math.min(high, Math.max(low, x)));

/** The reference's own folder, where this labgrade has the solutions (a student kit has none). */
function referenceFolder(lab: LabDefinition): string | null {
  const file = path.join(projectRoot, lab.solution);
  return existsSync(file) && path.basename(file) === lab.file ? path.dirname(file) : null;
}

/**
 * Limits for `lab` from the reference's time here, or null where there is no reference to time.
 * Exercises the reference did not run (skipped training, a file exercise) keep their fixed limits.
 */
export async function calibrateLimits(lab: LabDefinition, options: GradeLabOptions): Promise<LabTimeouts | null> {
  const folder = referenceFolder(lab);
  if (!folder) return null;
  const fixed: LabTimeouts = { ...lab.timeouts, ...options.timeouts };
  const reference = await gradeLab(lab, openSubmission(folder), { ...options, timeouts: fixed, calibrated: false, hiddenTimings: true });
  const perExercise: Record<string, number> = {};
  for (const ex of reference.exercises) {
    const def = lab.exercises.find((e) => e.id === ex.id)!;
    const ran = ex.checks.filter((c) => c.status !== 'skipped');
    if (def.assessFiles || ran.length === 0 || ex.status !== 'passed') continue;
    const spent = ran.reduce((sum, c) => sum + c.durationMs, 0);
    const own = fixed.perExercise?.[def.id] ?? def.timeoutMs ?? fixed.exerciseMs;
    perExercise[def.id] = clamp(CALIBRATION.factor * spent + CALIBRATION.slackMs, CALIBRATION.exerciseFloorMs, own);
  }
  const labMs = clamp(CALIBRATION.factor * reference.durationMs + CALIBRATION.slackMs, CALIBRATION.labFloorMs, fixed.labMs);
  return { exerciseMs: fixed.exerciseMs, labMs, perExercise };
}
