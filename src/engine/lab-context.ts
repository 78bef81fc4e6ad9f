/**
 * What grading one lab file works with, made once before any phase runs: the lab, the submission's
 * files, the options, the cases, the time limits and the clock, and (filled in as the phases go)
 * the student's code and the time hidden cases took.
 */
import type { LabDefinition, ExerciseDefinition } from './lab-definition.js';
import type { MessageRef, Visibility } from '../contract/result.js';
import { msg } from '../i18n/messages.js';
import { UsageError } from '../errors.js';
import { loadCases, type LoadedCase } from '../cases/load-cases.js';
import type { SandboxLimits } from '../sandbox/session.js';
import type { SandboxKind } from '../sandbox/os-sandbox.js';
import type { SubmissionFiles } from '../submission/submission-files.js';
import type { BackendChoice } from '../backends/choice.js';
import { cachedHoldout, cachedSigns } from '../data/signs.js';

/** A lab's time limits; `perExercise` overrides an exercise's own (a calibration, or a test). */
export interface LabTimeouts {
  exerciseMs: number;
  labMs: number;
  perExercise?: Record<string, number>;
}

export interface GradeLabOptions {
  /** 'public' runs only the course's public cases (students' self-check). */
  checks: 'all' | 'public';
  /** How submitted code is isolated: bubblewrap under Node's permission model, or the permission model alone. */
  sandbox: SandboxKind;
  limits?: SandboxLimits;
  /** Overrides the lab's own time limits (a calibration; tests use short ones). */
  timeouts?: Partial<LabTimeouts>;
  /** Whether `timeouts` come from the reference's own time on this machine. */
  calibrated?: boolean;
  /** The tfjs backend for submissions' processes (default auto). */
  backend?: BackendChoice;
  /** The datasets folder (holding signs/), for checks that train or evaluate on real data. */
  dataDir?: string;
  /** An instructor's held-out images, which decide a trained model's points where given. */
  holdoutDir?: string;
  /** Skips training checks (they are reported as skipped and score nothing). */
  skipTraining?: boolean;
  /** Threads for the wasm backend in submissions' processes (default: this machine's cores). */
  wasmThreads?: number;
  /** Keep hidden checks' times (the reference's own run, for calibration): a submission's are not told. */
  hiddenTimings?: boolean;
}

export interface LabContext {
  lab: LabDefinition;
  files: SubmissionFiles;
  options: GradeLabOptions;
  cases: LoadedCase[];
  timeouts: LabTimeouts;
  started: number;
  labDeadline: number;
  /** The student's code between the markers, by function (from the file as read). */
  code: Map<string, string>;
  /** What the student wrote outside the markers and in the other files the lab file imports (for the class's similarity check). */
  codeOutsideMarkers: string;
  /**
   * Time spent on hidden cases (their process's start included): the hidden phase's clock
   * (labTimeLeft). It is left out of the lab's time shown unless options.hiddenTimings: a
   * submission could sleep for a time made of a hidden input.
   */
  hiddenMs: number;
  /** How long the public phase took, bundling and the process's start included, once it is over. */
  publicMs?: number;
  /** Why the datasets cannot be used (null when they can); read only when something needs them. */
  dataProblem(): string | null;
}

/** The context of one lab file's grading, its cases loaded and its clock started. */
export function createLabContext(lab: LabDefinition, files: SubmissionFiles, options: GradeLabOptions): LabContext {
  const started = performance.now();
  const timeouts: LabTimeouts = { ...lab.timeouts, ...options.timeouts };
  let checkedData: { problem: string | null } | undefined;
  return {
    lab,
    files,
    options,
    cases: loadCases(lab.id, options.checks),
    timeouts,
    started,
    labDeadline: started + timeouts.labMs,
    code: new Map(),
    codeOutsideMarkers: '',
    hiddenMs: 0,
    dataProblem: () => (checkedData ??= { problem: datasetProblem(options.dataDir, options.holdoutDir) }).problem,
  };
}

/**
 * Why the datasets cannot be used, in words (null when they can): a missing folder or a corrupt
 * file. Reading them here first means a bad dataset is reported as such, not as the student's error.
 */
function datasetProblem(dataDir: string | undefined, holdoutDir: string | undefined): string | null {
  if (!dataDir) return 'no datasets folder was given (pass --data <dir> or set LABGRADE_DATA)';
  try {
    cachedSigns(dataDir);
    if (holdoutDir) cachedHoldout(holdoutDir);
    return null;
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
}

/** Whether anything in the lab reads the datasets. */
export function needsData(ctx: LabContext): boolean {
  return ctx.cases.some((c) => c.datasets.length > 0) || ctx.lab.exercises.some((e) => e.assessFiles);
}

/**
 * The lab's time left to cases of one visibility. Public and hidden cases each have the lab's time:
 * the public phase, which runs first (grade-lab.ts), until the lab's deadline; the hidden phase,
 * the lab's time less what hidden cases have taken.
 */
export function labTimeLeft(ctx: LabContext, visibility: Visibility, now = performance.now()): number {
  return visibility === 'public' ? ctx.labDeadline - now : ctx.timeouts.labMs - ctx.hiddenMs;
}

/** When a case must be done (`exerciseLeft`: its visibility's share of the exercise's time not yet spent), and whether the lab's time is what bounds it. */
export function caseDeadline(ctx: LabContext, visibility: Visibility, exerciseLeft: number, now: number): { deadline: number; labBound: boolean } {
  const labLeft = labTimeLeft(ctx, visibility, now);
  return { deadline: now + Math.min(exerciseLeft, labLeft), labBound: labLeft <= exerciseLeft };
}

export function exerciseLimit(def: ExerciseDefinition, timeouts: LabTimeouts): number {
  return timeouts.perExercise?.[def.id] ?? def.timeoutMs ?? timeouts.exerciseMs;
}

/** Why a case is not run at all, before any call: training skipped, or its data unusable. */
export function skipReason(loaded: LoadedCase, ctx: LabContext): MessageRef | null {
  const def = ctx.lab.exercises.find((e) => e.id === loaded.fixture.exercise);
  if (def?.trains && ctx.options.skipTraining) return msg('grading.training-skipped');
  if (loaded.datasets.length > 0 && ctx.dataProblem()) return msg('grading.no-dataset', { reason: ctx.dataProblem()! });
  return null;
}
