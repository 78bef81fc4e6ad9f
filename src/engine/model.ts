/** The result contract (published as schemas/result.schema.json). Reporters read these; they never score. */

export type Visibility = 'public' | 'hidden';
export type CheckStatus = 'passed' | 'failed' | 'error' | 'timeout' | 'skipped';
export type ExerciseStatus = 'passed' | 'failed' | 'error' | 'timeout' | 'missing' | 'skipped';
export type LabStatus = 'graded' | 'missing' | 'error';

export interface Diagnosis {
  /** Id of the typical mistake the output matched, e.g. "bias-multiplied". */
  mistake: string;
  message: string;
}

export interface CheckResult {
  id: string;
  status: CheckStatus;
  passed: boolean;
  public: boolean;
  /** What the check does, e.g. the course recipe it reproduces; hidden checks say only that they are hidden. */
  description: string;
  message: string;
  /** Summaries (type, shape, statistics); `expected` is omitted for hidden checks. */
  expected?: string;
  actual?: string;
  diagnosis?: Diagnosis;
  points: number;
  maxPoints: number;
  durationMs: number;
}

/** What a training exercise measured; accuracies are the grader's own, from the returned parameters. */
export interface TrainingMetrics {
  trainAccuracy?: number;
  testAccuracy?: number;
  /** What the submission itself reported, when it did. */
  reportedTrainAccuracy?: number;
  reportedTestAccuracy?: number;
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
  points: number;
  maxPoints: number;
  checks: CheckResult[];
  /** The student's code between the START/END markers of this function, for the report. */
  code?: string;
  metrics?: TrainingMetrics;
}

export interface LabResult {
  id: string;
  title: string;
  file: string;
  status: LabStatus;
  message?: string;
  points: number;
  maxPoints: number;
  exercises: ExerciseResult[];
  durationMs: number;
  backend?: string;
  /** What the backend ran on, in words. */
  device?: string;
  tfjsVersion?: string;
  optional?: boolean;
  /** Some checks were not run for reasons outside the submission (training skipped, dataset missing): a rerun may grade more. */
  incomplete?: boolean;
}

export interface StudentInfo {
  id: string;
  name?: string;
  class?: string;
  email?: string;
}

export interface GradeResult {
  schemaVersion: 1;
  labgradeVersion: string;
  gradedAt: string;
  durationMs: number;
  /** Which checks ran: all of them (instructor grading) or the public ones (student self-check). */
  checks: 'all' | 'public';
  student: StudentInfo | null;
  /** `contentHash` covers every file of the folder: an unchanged submission need not be regraded. */
  submission: { path: string; contentHash: string; files: { name: string; sha256: string }[] };
  environment: { node: string; platform: string; arch: string };
  labs: LabResult[];
  total: { points: number; maxPoints: number };
}
