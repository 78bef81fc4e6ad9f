/** Grades a submission folder: every lab file it holds (or the chosen labs), plus who it belongs to. */
import { existsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { labgradeVersion } from '../paths.js';
import { UsageError } from '../errors.js';
import { readStudent } from '../submission/student.js';
import type { Roster } from '../submission/roster.js';
import { manifestHash, SubmissionFiles, type ClassLinks } from '../submission/submission-files.js';
import { startLab, type StartedLab } from './grade-lab.js';
import type { GradeLabOptions, LabTimeouts } from './lab-context.js';
import type { LabDefinition } from './lab-definition.js';
import type { GradeResult, LabResult, SandboxRecord } from '../contract/result.js';
import { applyLatePolicy, sumPoints, type LateRules } from './scoring.js';

export interface SubmissionOptions extends GradeLabOptions {
  /** The instructor's roster: where it names this folder, it says who the student is. */
  roster?: Roster;
  /** What result.json records of the sandbox (a note where the OS sandbox did not run). */
  sandboxNote?: string;
  /** Time limits per lab from the reference's own time on this machine (calibration.ts). */
  calibratedTimeouts?: Readonly<Record<string, LabTimeouts>>;
  /** The course's deadlines and late policy (labgrade.config.json). */
  lateRules?: LateRules;
  /** When this submission was handed in (`grade --submitted-at`); a class run takes it from the roster. */
  submittedAt?: string;
}

/** The folder as the instructor's files name it: its base name (a class run's sub-folder). */
const folderName = (root: string) => path.basename(root);

/** Opens a submission folder for grading; a missing folder is bad usage. `classLinks`: the hard links of its class (a class run). */
export function openSubmission(dir: string, classLinks?: ClassLinks): SubmissionFiles {
  // A name that is not UTF-8 is listed with replacement characters, and that name opens nothing.
  if (!existsSync(dir) && path.basename(dir).includes('\uFFFD')) throw new UsageError(`the folder's name is not valid UTF-8, so it cannot be opened by name: rename it (to the student's id, say)`);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${dir} is not a folder`);
  return new SubmissionFiles(dir, classLinks);
}

/** Grades the folder `files` reads; what it read, even when grading stops early, is in `files.manifest()`. */
export async function gradeSubmission(files: SubmissionFiles, labs: readonly LabDefinition[], options: SubmissionOptions): Promise<GradeResult> {
  const started = performance.now();
  const listed = options.roster?.get(folderName(files.root));
  const student = listed?.student ?? readStudent(files);
  const submittedAt = options.submittedAt ?? listed?.submittedAt;
  if (!labs.some((lab) => files.has(lab.file))) {
    throw new UsageError(`${files.root} holds no lab file; expected ${labs.map((l) => l.file).join(' or ')}`);
  }
  // Taken now: a time taken after the hidden phases would tell how long they ran.
  const gradedAt = new Date().toISOString();
  // Every lab's public phase first, then every lab's hidden phase: a public call runs after no
  // hidden one, so there is nothing of a hidden case it could time or find (grade-lab.ts).
  let inLabsMs = 0;
  const inLab = async <T>(work: () => Promise<T>): Promise<T> => {
    const labStarted = performance.now();
    try {
      return await work();
    } finally {
      inLabsMs += performance.now() - labStarted;
    }
  };
  const publicDone: StartedLab[] = [];
  for (const lab of labs) {
    const calibrated = options.calibratedTimeouts?.[lab.id];
    publicDone.push(await inLab(() => startLab(lab, files, calibrated ? { ...options, timeouts: calibrated, calibrated: true } : options)));
  }
  const results: LabResult[] = [];
  for (const lab of publicDone) results.push(await inLab(() => lab.finish()));
  const graded = options.lateRules ? applyLatePolicy(results, submittedAt, options.lateRules) : results;
  const manifest = files.manifest();
  const sandbox: SandboxRecord = { kind: options.sandbox, ...(options.sandboxNote ? { note: options.sandboxNote } : {}) };
  return {
    schemaVersion: 1,
    labgradeVersion,
    gradedAt,
    // The labs' own times, which leave hidden cases out, and the time around them.
    durationMs: Math.round(performance.now() - started - inLabsMs + results.reduce((sum, lab) => sum + lab.durationMs, 0)),
    checks: options.checks,
    student,
    submission: { path: files.root, contentHash: manifestHash(manifest), ...manifest, ...(files.sharedWith().length > 0 ? { sharedWith: files.sharedWith() } : {}) },
    sandbox,
    environment: { node: process.version, platform: process.platform, arch: os.arch() },
    labs: graded,
    total: sumPoints(graded),
  };
}
