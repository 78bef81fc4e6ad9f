/** Grades a submission folder: every lab file it holds (or the chosen labs), plus who it belongs to. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { labgradeVersion } from '../paths.js';
import { UsageError } from '../errors.js';
import { readStudent } from '../submission/student.js';
import { hashSubmission } from '../submission/content-hash.js';
import { gradeLab, type GradeLabOptions } from './grade-lab.js';
import type { LabDefinition } from './lab-definition.js';
import type { GradeResult, LabResult } from './model.js';
import { sumPoints } from './scoring.js';

/** `contentHash` may be given when the caller hashed the folder already (before grading). */
export async function gradeSubmission(dir: string, labs: readonly LabDefinition[], options: GradeLabOptions, contentHash?: string): Promise<GradeResult> {
  const started = performance.now();
  const root = path.resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UsageError(`${dir} is not a folder`);
  const student = readStudent(root);
  const present = labs.filter((lab) => existsSync(path.join(root, lab.file)));
  if (present.length === 0) {
    throw new UsageError(`${dir} holds no lab file; expected ${labs.map((l) => l.file).join(' or ')}`);
  }
  const results: LabResult[] = [];
  for (const lab of labs) results.push(await gradeLab(lab, path.join(root, lab.file), options));
  return {
    schemaVersion: 1,
    labgradeVersion,
    gradedAt: new Date().toISOString(),
    durationMs: Math.round(performance.now() - started),
    checks: options.checks,
    student,
    submission: {
      path: root,
      contentHash: contentHash ?? hashSubmission(root),
      files: present.map((lab) => ({ name: lab.file, sha256: createHash('sha256').update(readFileSync(path.join(root, lab.file))).digest('hex') })),
    },
    environment: { node: process.version, platform: process.platform, arch: os.arch() },
    labs: results,
    total: sumPoints(results),
  };
}
