/**
 * The adversarial corpus: each folder here is an attack by a submission and the outcome it must get
 * (expected.json). In "merge" mode the folder's conv-step-by-step.ts holds only the attacking
 * functions; they replace the reference solution's functions of the same names (still reachable as
 * `__replaced_<name>`), so that every other exercise is real and must still pass. In "as-is" mode
 * the folder is graded as it is.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExerciseStatus, LabStatus } from '../../src/engine/model.js';
import { projectRoot } from '../../src/paths.js';
import { REFERENCE } from '../grading/submissions.js';

export const CORPUS_DIR = path.join(projectRoot, 'test', 'adversarial');
export const LAB_FILE = 'conv-step-by-step.ts';

export interface Expected {
  attack: string;
  mode: 'merge' | 'as-is';
  lab?: { status: LabStatus; message?: string };
  exercises?: Record<string, { status: ExerciseStatus; message: string }>;
  report?: { contains?: string[]; notContains?: string[] };
  /** Files written beside (outside) the submission folder, for attacks that reach for them. */
  outside?: Record<string, string>;
  /** Time per exercise; attacks that only ever time out use less than the default. */
  exerciseMs?: number;
}

export interface AttackCase {
  name: string;
  dir: string;
  expected: Expected;
}

export function loadCorpus(): AttackCase[] {
  return readdirSync(CORPUS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(CORPUS_DIR, d.name, 'expected.json')))
    .map((d) => ({ name: d.name, dir: path.join(CORPUS_DIR, d.name), expected: JSON.parse(readFileSync(path.join(CORPUS_DIR, d.name, 'expected.json'), 'utf8')) }));
}

/** The attack's file with the reference's versions of the functions it defines renamed away. */
export function mergeWithReference(attack: string): string {
  const names = [...attack.matchAll(/^export\s+(?:async\s+)?(?:function\s+|const\s+)(\w+)/gm)].map((m) => m[1]);
  let reference = REFERENCE;
  for (const name of names) reference = reference.replace(`export function ${name}(`, `function __replaced_${name}(`);
  const body = attack.replace(/^import \* as tf from '@tensorflow\/tfjs';\n/m, '');
  return `${reference}\n// ---- attack ----\n${body}`;
}

/** The submission folder to grade for a case. */
export function materialize(c: AttackCase): string {
  if (c.expected.mode === 'as-is') return c.dir;
  const root = mkdtempSync(path.join(os.tmpdir(), `labgrade-attack-${c.name}-`));
  for (const [name, text] of Object.entries(c.expected.outside ?? {})) writeFileSync(path.join(root, name), text);
  const dir = path.join(root, 'submission');
  mkdirSync(dir);
  writeFileSync(path.join(dir, LAB_FILE), mergeWithReference(readFileSync(path.join(c.dir, LAB_FILE), 'utf8')));
  if (existsSync(path.join(c.dir, 'student.json'))) copyFileSync(path.join(c.dir, 'student.json'), path.join(dir, 'student.json'));
  return dir;
}
