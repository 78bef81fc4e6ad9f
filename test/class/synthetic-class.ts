/**
 * A synthetic class made from the example submissions with variations: correct (loops and
 * vectorized), the sample report's mistakes, the unfilled starter, the reference with one typical
 * mistake, and students that cannot be graded (no lab file; a broken student.json).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/paths.js';
import { REFERENCE, referenceWith } from '../grading/submissions.js';

const LAB_FILE = 'conv-step-by-step.ts';
const example = (name: string) => readFileSync(path.join(projectRoot, 'examples', 'submissions', name, LAB_FILE), 'utf8');

/** Lab files by kind, with the points each must get. */
export const VARIANTS: { kind: string; source: () => string; points: number | null }[] = [
  { kind: 'reference', source: () => REFERENCE, points: 50 },
  { kind: 'vectorized', source: () => example('correct-vectorized'), points: 50 },
  { kind: 'sample-report', source: () => example('sample-report-mistakes'), points: 39 },
  { kind: 'starter', source: () => readFileSync(path.join(projectRoot, 'exercises', LAB_FILE), 'utf8'), points: 0 },
  { kind: 'dz-not-divided', source: () => referenceWith([['const average = dz / (nH * nW);', 'const average = dz;']]), points: null },
  { kind: 'no-lab-file', source: () => '', points: null },
];

/** `size` students s01..sNN cycling through the variants; every 10th has a broken student.json. */
export function makeClass(size: number): { dir: string; students: { folder: string; kind: string; ungradable: boolean }[] } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'labgrade-class-'));
  const students = Array.from({ length: size }, (_, i) => {
    const folder = `s${String(i + 1).padStart(2, '0')}`;
    const variant = VARIANTS[i % VARIANTS.length];
    const brokenJson = i % 10 === 9;
    mkdirSync(path.join(dir, folder));
    if (variant.kind !== 'no-lab-file') writeFileSync(path.join(dir, folder, LAB_FILE), variant.source());
    writeFileSync(path.join(dir, folder, 'student.json'), brokenJson ? '{"id": ' : JSON.stringify({ id: folder, name: `Student ${i + 1}`, class: 'synthetic' }));
    return { folder, kind: variant.kind, ungradable: brokenJson || variant.kind === 'no-lab-file' };
  });
  return { dir, students };
}

