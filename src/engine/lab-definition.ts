/** What a lab's grader module declares; the engine does the rest (load, isolate, compare, score). */
import type * as tfType from '@tensorflow/tfjs';
import type { Tolerance } from '../compare/compare-values.js';
import type { Diagnosis, MessageRef, ModelScores, TrainingMetrics } from '../contract/result.js';
import type { Value } from '../contract/values.js';
import type { SubmissionFiles } from '../submission/submission-files.js';
import type { SessionOptions } from '../sandbox/session.js';

export interface MistakeContext {
  tf: typeof tfType;
  /** The reference solution's exports. */
  ref: Record<string, (...args: never[]) => unknown>;
  /** The case's arguments, as tfjs tensors and plain values. */
  args: unknown[];
}

/**
 * A typical wrong variant of a function. Its output on each fixture is computed when fixtures are
 * generated; a student's wrong output that matches it gets the catalogue's explanation
 * `mistake.<lab>.<exercise>.<id>` as the diagnosis.
 */
export interface MistakeDefinition {
  id: string;
  variant: (ctx: MistakeContext) => unknown;
}

export interface JudgeContext {
  /** The case's arguments as sent (dataset references unresolved). */
  args: readonly unknown[];
  /** The reference solution's output on this case, where the recipe records one. */
  expected?: Value;
  /** The datasets folder (already checked to hold what the lab needs). */
  dataDir?: string;
  /** The backend and device the submission ran on, for metrics. */
  backend?: string;
  durationMs: number;
  /**
   * Whether the case is public. A student reads only whether a hidden case's verdicts passed; the
   * instructor reads their hiddenMessage and metrics in result.json (check-results.ts, sealHidden).
   */
  reveal: boolean;
}

/** One check's outcome, from a judge: a call's output may be judged on several counts. Its words are catalogue refs. */
export interface Verdict {
  /** Appended to the case's id, e.g. "train-accuracy". */
  idSuffix: string;
  description: MessageRef;
  passed: boolean;
  message: MessageRef;
  /** What a hidden case tells the instructor instead of `message`: fixed words, no numbers (default: right / not right). */
  hiddenMessage?: MessageRef;
  /** A typical mistake the output shows. */
  diagnosis?: Diagnosis;
  metrics?: TrainingMetrics;
}

export interface ExerciseDefinition {
  /** The exported function's name. */
  id: string;
  title: string;
  points: number;
  graded: boolean;
  /** Names of the items of a tuple result (["Z", "cache"]), or the single output's name. */
  outputNames: readonly string[];
  mistakes: readonly MistakeDefinition[];
  tolerance?: Tolerance;
  /**
   * Judges a call's output itself, for the cases whose recipe says `"judge": true`, where comparing
   * it with one expected output is not the test (random initial values, training thresholds).
   * Runs in the grading process, never the child.
   */
  judge?: (actual: Value, ctx: JudgeContext) => Promise<Verdict[]>;
  /** Trains a model: skipped, with the reason, under --skip-training. */
  trains?: boolean;
  /** This exercise's own time limit, where the lab's would not do (training). */
  timeoutMs?: number;
  /**
   * An exercise that is a file of the submission rather than a function (a trained model): judged
   * as data, in a sandboxed process of its own, with the datasets. No function is called.
   */
  assessFiles?: (ctx: FilesContext) => Promise<FilesAssessment>;
}

/** What a file exercise works with: the submission's files, the data, and how labgrade starts sandboxed processes. */
export interface FilesContext {
  files: SubmissionFiles;
  dataDir: string;
  /** An instructor's held-out images: where given, they decide the points. */
  holdoutDir?: string;
  run: Pick<SessionOptions, 'sandbox' | 'backend' | 'wasmThreads'>;
  timeoutMs: number;
}

/**
 * What a file exercise found: its checks (and the scores behind them), that the file is not there
 * (and what was looked for), or that labgrade itself could not judge it this time (graded again on
 * the next run, never counted against the student).
 */
export type FilesAssessment = { verdicts: Verdict[]; scores?: ModelScores } | { missing: MessageRef } | { incomplete: string };

export interface LabDefinition {
  /** The lab file's base name, e.g. "conv-step-by-step". */
  id: string;
  title: string;
  /** The file a submission holds, e.g. "conv-step-by-step.ts". */
  file: string;
  points: number;
  exercises: readonly ExerciseDefinition[];
  tolerance: Tolerance;
  timeouts: { exerciseMs: number; labMs: number };
  /** The reference solution, relative to the project root; fixtures are generated from it. */
  solution: string;
  /** Shown as optional in reports (the course's optional lab), though still scored. */
  optional?: boolean;
  /**
   * The exercise whose reference output is the course's model: `labgrade fixtures generate` keeps
   * its topology (fixtures/<lab>/architecture.json, instructors' side only), which model
   * evaluators load trained weights into.
   */
  architectureFrom?: string;
}
