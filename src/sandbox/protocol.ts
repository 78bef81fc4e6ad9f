/** Messages between the grading process (parent) and a submission's process (child). */
import type { Value } from '../engine/values.js';

export type Backend = 'cpu';

export type ParentMessage =
  | { type: 'load'; code: string; filename: string; backend: Backend }
  | { type: 'call'; id: number; fn: string; args: Value[] };

export interface ThrownError {
  name: string;
  message: string;
  /** Stack frames inside the submission only, so feedback points at the student's lines. */
  stack?: string;
}

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'loaded'; exports: Record<string, string>; backend: string; tfjsVersion: string }
  | { type: 'load-failed'; error: ThrownError }
  | { type: 'result'; id: number; value: Value; durationMs: number; tampered?: string[] }
  | { type: 'threw'; id: number; error: ThrownError; durationMs: number; tampered?: string[] }
  /** Built-ins or tfjs changed between calls (e.g. in a timer): the call was not run. */
  | { type: 'stale'; id: number; tampered: string[] };
