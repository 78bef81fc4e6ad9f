/** Messages between the grading process (parent) and a sandboxed process (child), sent as frames (channel.ts). */
import type { Value } from '../contract/values.js';
import type { ModelSummary } from '../contract/summary.js';
import type { EpochProgress, TrainedModel, TrainOptions } from '../training/train-model.js';
import type { LabelledImages } from '../data/signs-arrays.js';
import type { DatasetTensor } from '../data/dataset-tensors.js';
import type { ModelFileBytes, Scores } from '../models/evaluate-model-file.js';

/** An argument the child fills in from the datasets the parent sent it once (e.g. "signs/train/x"): too big to send with every call. */
export interface DatasetRef {
  $dataset: string;
}

export type ParentMessage =
  | { type: 'load'; code: string; filename: string }
  | { type: 'datasets'; tensors: Record<string, DatasetTensor> }
  | { type: 'call'; id: number; fn: string; args: (Value | DatasetRef)[]; shuffleFrom?: number }
  /** Calls `fn` and returns the model it builds as its topology (model.toJSON()): `labgrade train` trains it elsewhere. */
  | { type: 'topology'; id: number; fn: string }
  /** Trainer: rebuilds the model from `topology`, checks it against `expected`, trains it on the datasets sent. */
  | { type: 'train'; id: number; topology: string; expected: ModelSummary; options: TrainOptions }
  /** Evaluator: loads the trained weights into `architecture` (the course model's topology, labgrade's own) and scores it on each set. */
  | { type: 'evaluate'; id: number; model: ModelFileBytes; architecture: string; sets: Record<string, LabelledImages> };

export interface ThrownError {
  name: string;
  message: string;
  /** Stack frames inside the submission only, so feedback points at the student's lines. */
  stack?: string;
}

export type ChildMessage =
  /** The backend runs (before any submitted code could): what it is, for reports. */
  | { type: 'ready'; backend: string; device: string; tfjsVersion: string; passedOver?: string }
  | { type: 'loaded'; exports: Record<string, string> }
  | { type: 'load-failed'; error: ThrownError }
  /** The backend asked for could not start (before any submitted code ran). */
  | { type: 'backend-failed'; reason: string }
  | { type: 'result'; id: number; value: Value; durationMs: number; tampered?: string[] }
  | { type: 'threw'; id: number; error: ThrownError; durationMs: number; tampered?: string[] }
  /** Built-ins or tfjs changed between calls (e.g. in a timer): the call was not run. */
  | { type: 'stale'; id: number; tampered: string[] }
  | { type: 'topology'; id: number; topology: string; durationMs: number }
  | ({ type: 'progress'; id: number } & EpochProgress)
  | ({ type: 'trained'; id: number; durationMs: number } & TrainedModel)
  | { type: 'evaluated'; id: number; scores: Scores; weightsSha256: string; weightsSample: number[]; channelNorms: number[]; durationMs: number }
  /** The model file is not the course's trained ResNet50 (a bound passed, a layer that does not fit): the student's, with labgrade's words. */
  | { type: 'rejected'; id: number; reason: string; durationMs: number };
