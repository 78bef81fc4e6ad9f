/** Builds throwaway submission folders for the grading tests, outside the project tree. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/paths.js';
import type { CheckResult } from '../../src/contract/result.js';

export const REFERENCE = readFileSync(path.join(projectRoot, 'solutions', 'conv-step-by-step.ts'), 'utf8');

export function makeSubmission(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'labgrade-test-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

/** The reference solution (Lab 1's unless another lab file is named) with some code replaced; each replacement must apply exactly once. */
export function referenceWith(replacements: [string, string][], labFile?: string): string {
  const reference = labFile ? readFileSync(path.join(projectRoot, 'solutions', labFile), 'utf8') : REFERENCE;
  return replacements.reduce((text, [from, to]) => {
    const at = text.indexOf(from);
    if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`replacement target must occur once: ${from}`);
    return text.replace(from, to);
  }, reference);
}

/** The typical mistake a check names: in a public check's diagnosis, in a hidden one's detail (the instructor's). */
export const diagnosed = (c: CheckResult): string | undefined => (c.public ? c.diagnosis : c.hiddenDetail?.diagnosis)?.mistake;
