/**
 * The adversarial corpus: each folder here is an attack by a submission and the outcome it must get
 * (expected.json). In "merge" mode the folder's conv-step-by-step.ts holds only the attacking
 * functions; they replace the reference solution's functions of the same names (still reachable as
 * `__replaced_<name>`), so that every other exercise is real and must still pass. In "as-is" mode
 * the folder is graded as it is; in "copy" mode its files are copied into a fresh folder first (so
 * that `setup` can add what git cannot hold: FIFOs, links, generated model files).
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { ExerciseStatus, LabStatus } from '../../src/contract/result.js';
import { projectRoot } from '../../src/paths.js';
import { REFERENCE } from '../grading/submissions.js';
import { writeKerasWeights } from '../models/keras-weights-file.js';

export const CORPUS_DIR = path.join(projectRoot, 'test', 'adversarial');
export const LAB_FILE = 'conv-step-by-step.ts';

/**
 * What `setup` makes in the submission folder. Paths are relative to it; a link target starting
 * with `@outside/` is a file beside the submission folder, `@project/` one of labgrade's own.
 */
export type SetupStep =
  | { fifo: string }
  | { symlink: string; to: string }
  | { hardlink: string; to: string }
  | { copy: string; from: string }
  | { sparse: string; megabytes: number }
  | { zeros: string; bytes: number }
  | { write: string; text: string }
  /** A Keras weights file whose every weight is chunked and gzip-compressed (a bomb if expanded). */
  | { gzipWeights: string }
  /** A Keras weights file whose conv1 kernel has 4096 filters instead of 64. */
  | { kerasShape: string };

export interface Expected {
  attack: string;
  mode: 'merge' | 'as-is' | 'copy';
  /** The lab graded (default: conv-step-by-step). */
  labId?: string;
  lab?: { status: LabStatus; message?: string };
  exercises?: Record<string, { status: ExerciseStatus; message: string; points?: number }>;
  /** The submission cannot be graded at all: grading stops with a message holding this. */
  ungradable?: string;
  /** The lab's total points. */
  points?: number;
  /**
   * Texts the reports (Markdown and HTML) must hold or not hold; `markdownNotContains`, report.md
   * alone outside its fenced code blocks (the submitted code is shown there, and renders as text).
   */
  report?: { contains?: string[]; notContains?: string[]; markdownNotContains?: string[] };
  /** Files written beside (outside) the submission folder, for attacks that reach for them. */
  outside?: Record<string, string>;
  setup?: SetupStep[];
  /** Time per exercise: attacks that only ever time out use less than the default, attacks that cost a fresh process a check (on a busy machine, seconds each) more. */
  exerciseMs?: number;
  /** Only bubblewrap stops this attack (the network): without it the case is skipped, saying so. */
  requires?: 'bwrap';
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

function target(root: string, to: string): string {
  if (to.startsWith('@outside/')) return path.join(root, to.slice('@outside/'.length));
  if (to.startsWith('@project/')) return path.join(projectRoot, to.slice('@project/'.length));
  return to;
}

async function applySetup(root: string, dir: string, steps: readonly SetupStep[]): Promise<void> {
  for (const step of steps) {
    if ('fifo' in step) execFileSync('mkfifo', [path.join(dir, step.fifo)]);
    else if ('symlink' in step) symlinkSync(target(root, step.to), path.join(dir, step.symlink));
    else if ('hardlink' in step) linkSync(target(root, step.to), path.join(dir, step.hardlink));
    else if ('copy' in step) copyFileSync(target(root, step.from), path.join(dir, step.copy));
    else if ('sparse' in step) {
      writeFileSync(path.join(dir, step.sparse), '');
      truncateSync(path.join(dir, step.sparse), step.megabytes << 20);
    } else if ('zeros' in step) {
      writeFileSync(path.join(dir, step.zeros), Buffer.alloc(step.bytes));
    } else if ('write' in step) {
      mkdirSync(path.dirname(path.join(dir, step.write)), { recursive: true });
      writeFileSync(path.join(dir, step.write), step.text);
    } else if ('gzipWeights' in step) {
      await writeKerasWeights(path.join(dir, step.gzipWeights), [{ name: 'conv1', weights: [{ name: 'kernel', shape: [7, 7, 3, 64] }, { name: 'bias', shape: [64] }] }], 'chunked-gzip');
    } else if ('kerasShape' in step) {
      await writeKerasWeights(path.join(dir, step.kerasShape), [{ name: 'conv1', weights: [{ name: 'kernel', shape: [7, 7, 3, 4096] }, { name: 'bias', shape: [4096] }] }]);
    }
  }
}

/** The submission folder to grade for a case. */
export async function materialize(c: AttackCase): Promise<string> {
  if (c.expected.mode === 'as-is') return c.dir;
  const root = mkdtempSync(path.join(os.tmpdir(), `labgrade-attack-${c.name}-`));
  for (const [name, text] of Object.entries(c.expected.outside ?? {})) writeFileSync(path.join(root, name), text);
  const dir = path.join(root, 'submission');
  mkdirSync(dir);
  for (const name of readdirSync(c.dir)) {
    if (name === 'expected.json' || !statSync(path.join(c.dir, name)).isFile()) continue;
    const text = readFileSync(path.join(c.dir, name), 'utf8');
    writeFileSync(path.join(dir, name), c.expected.mode === 'merge' && name === LAB_FILE ? mergeWithReference(text) : text);
  }
  await applySetup(root, dir, c.expected.setup ?? []);
  return dir;
}

/** Markdown with its fenced code blocks left out: what a renderer reads as Markdown rather than code. */
export function outsideCodeFences(markdown: string): string {
  const kept: string[] = [];
  let fence: string | null = null;
  for (const line of markdown.split('\n')) {
    const ticks = /^(`{3,})/.exec(line)?.[1];
    if (fence === null && ticks) fence = ticks;
    else if (fence !== null && line === fence) fence = null;
    else if (fence === null) kept.push(line);
  }
  return kept.join('\n');
}
