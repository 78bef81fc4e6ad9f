/** What a lab's grader module declares; the engine does the rest (load, isolate, compare, score). */
import type * as tfType from '@tensorflow/tfjs';
import type { Tolerance } from './compare.js';

export interface MistakeContext {
  tf: typeof tfType;
  /** The reference solution's exports. */
  ref: Record<string, (...args: never[]) => unknown>;
  /** The case's arguments, as tfjs tensors and plain values. */
  args: unknown[];
}

/**
 * A typical wrong variant of a function. Its output on each fixture is computed when fixtures are
 * generated; a student's wrong output that matches it gets `message` as the diagnosis.
 */
export interface MistakeDefinition {
  id: string;
  message: string;
  variant: (ctx: MistakeContext) => unknown;
}

export interface ExerciseDefinition {
  /** The exported function's name. */
  id: string;
  title: string;
  points: number;
  graded: boolean;
  /** Names of the items of a tuple result (["Z", "cache"]), or the single output's name. */
  outputNames: readonly string[];
  /** Shown when a check fails, e.g. the course's "Don't hard code the pad and stride values". */
  hint?: string;
  mistakes: readonly MistakeDefinition[];
  tolerance?: Tolerance;
}

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
}
