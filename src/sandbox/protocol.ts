/** Messages between the grading process (parent) and a submission's process (child). */
import type { Value } from '../engine/values.js';
import type { EpochProgress, TrainedModel, TrainOptions } from '../training/train-model.js';

/** An argument the child fills in from a dataset it reads itself (e.g. "signs/train/x"): too big to send. */
export interface DatasetRef {
  $dataset: string;
}

export type ParentMessage =
  | { type: 'load'; code: string; filename: string }
  | { type: 'call'; id: number; fn: string; args: (Value | DatasetRef)[] }
  /** Builds a model with the exported function `fn` and trains it on SIGNS with labgrade's recipe. */
  | { type: 'train'; id: number; fn: string; args: Value[]; options: TrainOptions };

export interface ThrownError {
  name: string;
  message: string;
  /** Stack frames inside the submission only, so feedback points at the student's lines. */
  stack?: string;
}

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'loaded'; exports: Record<string, string>; backend: string; device: string; tfjsVersion: string }
  | { type: 'load-failed'; error: ThrownError }
  /** The backend asked for could not start (before any submitted code ran). */
  | { type: 'backend-failed'; reason: string }
  | { type: 'result'; id: number; value: Value; durationMs: number; tampered?: string[] }
  | { type: 'threw'; id: number; error: ThrownError; durationMs: number; tampered?: string[] }
  /** Built-ins or tfjs changed between calls (e.g. in a timer): the call was not run. */
  | { type: 'stale'; id: number; tampered: string[] }
  | ({ type: 'progress'; id: number } & EpochProgress)
  | ({ type: 'trained'; id: number; durationMs: number } & TrainedModel);
