/** The result contract (published as schemas/result.schema.json). Reporters read these; they never score. */

export type Visibility = 'public' | 'hidden';
export type CheckStatus = 'passed' | 'failed' | 'error' | 'timeout' | 'skipped';
export type ExerciseStatus = 'passed' | 'failed' | 'error' | 'timeout' | 'missing' | 'skipped';
export type LabStatus = 'graded' | 'missing' | 'error';

/**
 * A sentence by its catalogue id and parameters (src/i18n/messages.ts), so that a report can say it
 * in its own language; beside it, results keep the English text.
 */
export interface MessageRef {
  id: string;
  params?: Record<string, MessageParam>;
}
export type MessageParam = string | number | MessageRef | MessageRef[];

export interface Diagnosis {
  /** Id of the typical mistake the output matched, e.g. "bias-multiplied". */
  mistake: string;
  message: string;
  messageRef?: MessageRef;
}

export interface CheckResult {
  id: string;
  status: CheckStatus;
  passed: boolean;
  public: boolean;
  /** What the check does, e.g. the course recipe it reproduces; hidden checks say only that they are hidden. */
  description: string;
  /** A judge's description of what it checks, for reports in other languages (a recipe's is code, or a name translated by id). */
  descriptionRef?: MessageRef;
  message: string;
  messageRef?: MessageRef;
  /** Summaries (type, shape, statistics); `expected` is omitted for hidden checks. */
  expected?: string;
  actual?: string;
  expectedRef?: MessageRef;
  actualRef?: MessageRef;
  diagnosis?: Diagnosis;
  points: number;
  maxPoints: number;
  /** Why a check that passed earned no points (a public check whose exercise passed no hidden check). */
  withheld?: string;
  durationMs: number;
  /** A hidden check's own outcome, for the instructor (result.json): reports a student reads never render it. */
  hiddenDetail?: HiddenCheckDetail;
}

/**
 * What a hidden check's student-facing fields leave out. A student sees only passed or not passed:
 * how a hidden check failed (an error, a timeout, which way the output was wrong, a typical mistake)
 * is a choice a submission can make from the hidden input, and so a channel to carry it out. These
 * are labgrade's fixed words, never the submission's text or numbers.
 */
export interface HiddenCheckDetail {
  status: CheckStatus;
  message: string;
  messageRef?: MessageRef;
  diagnosis?: Diagnosis;
  /** What a training judge measured on the hidden case. */
  metrics?: TrainingMetrics;
}

/** A set of images a trained model was scored on: how many it got right. */
export interface ImageSetScore {
  correct: number;
  total: number;
  accuracy: number;
}

/** A trained model's scores, measured by labgrade, and which of them decided the points. */
export interface ModelScores {
  /** The model file scored, as the submission names it. */
  file: string;
  /** The public SIGNS test set: every student has it, so a model trained on it would score 100%. */
  test: ImageSetScore;
  /** An instructor's held-out images, where given. */
  holdout?: ImageSetScore;
  decidedBy: 'test' | 'holdout';
  /** The sha256 of the weights as loaded into the course architecture: the same weights, however saved, hash the same. */
  weightsSha256: string;
  /** Kernel values at fixed positions of the architecture, for telling copies and derived weights (weights-sample.ts). */
  weightsSample?: number[];
  /** Each kernel's per-output-channel norms over their mean, sorted, at fixed ranks: the same whatever order the channels are in, and however the kernel is scaled (weights-sample.ts). */
  channelNorms?: number[];
  /** The published weights these are, or are made from (the course's pretrained model), where they are. */
  published?: string;
  publishedRef?: MessageRef;
}

/** What a training exercise measured; accuracies are the grader's own, from the returned parameters. */
export interface TrainingMetrics {
  trainAccuracy?: number;
  testAccuracy?: number;
  /** What the submission itself reported, when it did. */
  reportedTrainAccuracy?: number;
  reportedTestAccuracy?: number;
  /** The grader's own mean cross-entropy cost of the returned parameters on the training set. */
  trainCost?: number;
  /** How the returned weights correlate with the initial parameters the grader passed (training keeps them correlated). */
  startCorrelations?: { W1: number; W2: number; W3: number };
  /** The reference's own trained W1's correlation with the start: how far the recipe's training carries it. */
  referenceStartCorrelation?: number;
  /** How the returned weights correlate with the reference's own training from the same start on the same data (W1 is judged: docs/lab2-training.md). */
  referenceCorrelations?: { W1: number; W2: number; W3: number };
  /** The cost after each epoch (null where it was not a finite number). */
  costs: (number | null)[];
  epochs: number;
  durationMs: number;
  backend?: string;
}

export interface ExerciseResult {
  id: string;
  title: string;
  /** Graded exercises carry the course's marks; the others are the optional backward pass. */
  graded: boolean;
  status: ExerciseStatus;
  message?: string;
  messageRef?: MessageRef;
  points: number;
  maxPoints: number;
  checks: CheckResult[];
  /** The student's code between the START/END markers of this function, for the report. */
  code?: string;
  metrics?: TrainingMetrics;
  scores?: ModelScores;
}

export interface LabResult {
  id: string;
  title: string;
  file: string;
  status: LabStatus;
  message?: string;
  messageRef?: MessageRef;
  points: number;
  maxPoints: number;
  exercises: ExerciseResult[];
  durationMs: number;
  backend?: string;
  /** What the backend ran on, in words. */
  device?: string;
  deviceRef?: MessageRef;
  tfjsVersion?: string;
  optional?: boolean;
  /** Some checks were not run for reasons outside the submission (training skipped, dataset missing, labgrade could not evaluate a model): a rerun may grade more. */
  incomplete?: boolean;
  /** The time limits it was graded under (derived from the reference's own time where measured). */
  limits?: { exerciseMs: number; labMs: number; trainingMs?: number; calibrated: boolean };
  /** What the student wrote outside the markers and in the other files the lab file imports: compared by the class's similarity check. */
  codeOutsideMarkers?: string;
  /** The lab had a deadline: how late it was handed in, and what that cost (`points` is after it). */
  late?: LateRecord;
}

export interface LateRecord {
  dueAt: string;
  /** When the submission was handed in (the instructor's roster or --submitted-at); absent where nobody said. */
  submittedAt?: string;
  /** Days, or parts of days, after the deadline and its grace period. */
  daysLate: number;
  /** The student's slack days spent on this lab. */
  slackDaysUsed: number;
  /** Percent of the lab's points taken off. */
  percent: number;
  deduction: number;
  pointsBeforeDeduction: number;
}

export interface StudentInfo {
  id: string;
  name?: string;
  class?: string;
  email?: string;
  /** Where these came from: the instructor's roster wins over the submission's own student.json. */
  source?: 'roster' | 'student.json';
}

/** How the submission's code was isolated: bubblewrap under Node's permission model, or the permission model alone (and why). */
export interface SandboxRecord {
  kind: 'bwrap' | 'node';
  note?: string;
}

export interface GradeResult {
  schemaVersion: 1;
  labgradeVersion: string;
  /** When grading started (a time taken after the hidden cases would tell how long they ran). */
  gradedAt: string;
  durationMs: number;
  /** Which checks ran: all of them (instructor grading) or the public ones (student self-check). */
  checks: 'all' | 'public';
  student: StudentInfo | null;
  /**
   * What grading read of the folder (`files`: every file, each import of a lab file, student.json,
   * model files) and looked for in vain (`absent`); `contentHash` covers exactly that, so an
   * unchanged submission need not be regraded.
   */
  submission: {
    path: string;
    contentHash: string;
    files: { name: string; sha256: string }[];
    absent: string[];
    /** Other submissions of the class holding a file this one read (hard links between them): graded, and flagged. */
    sharedWith?: string[];
  };
  sandbox: SandboxRecord;
  environment: { node: string; platform: string; arch: string };
  labs: LabResult[];
  total: { points: number; maxPoints: number };
}
