/**
 * `npm run examples`, the README's first command, on a machine without the shared data: the
 * example class is made, graded on all three labs, exported, and what could not run is said.
 * (With the data it also trains Lab 2 twice, which belongs to the examples, not the suite.)
 */
import { describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execaNode } from 'execa';
import { parse } from 'csv-parse/sync';
import { projectRoot } from '../../src/paths.js';
import type { GradeResult } from '../../src/contract/result.js';

const SCRIPT = path.join(projectRoot, 'dist', 'examples', 'grade-examples.js');

describe('npm run examples', () => {
  test('without the shared folder, grades the example class on all three labs, exports it, and says what it skipped', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'labgrade-examples-'));
    const noShared = mkdtempSync(path.join(os.tmpdir(), 'labgrade-no-shared-'));
    const env = { ...process.env, LABGRADE_SHARED: noShared, LABGRADE_DATA: path.join(noShared, 'datasets') };
    const run = await execaNode(SCRIPT, ['--out', out], { reject: false, all: true, env, extendEnv: false });
    expect(run.exitCode).toBe(0);
    expect(run.all).toContain('skipped: no trained ResNet50');
    expect(run.all).toContain('skipped: no SIGNS data');
    // The mistakes are made where the reference still has the code they replace.
    expect(run.all).toContain("stage 5's filters are the old notebook's [256, 256, 2048]");

    const gradebook = parse(readFileSync(path.join(out, 'graded', 'gradebook.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    const row = (folder: string) => gradebook.find((r) => r.folder === folder)!;
    expect(row('ada-vectorized')['conv-step-by-step:total']).toBe('50');
    expect(row('ada-vectorized')['residual-networks:resNet50']).toBe('13');
    // 39 of Lab 1's 50, handed in 2 days late at 10% a day (the example roster and config).
    const sample = row('sample-report');
    if (sample['conv-step-by-step:total'] !== '31.2' || sample['late_deduction'] !== '7.8') {
      // What explains a wrong total: the row's status and flags, the lab's message, each exercise's outcome.
      const lab1 = (JSON.parse(readFileSync(path.join(out, 'graded', 'students', 'sample-report', 'result.json'), 'utf8')) as GradeResult).labs.find((l) => l.id === 'conv-step-by-step')!;
      const why = { row: sample, lab: [lab1.status, lab1.message], exercises: lab1.exercises.map((x) => [x.id, x.status, x.points, x.checks.map((c) => `${c.status}: ${c.message}`)]) };
      throw new Error(`sample-report's Lab 1 came to ${sample['conv-step-by-step:total']} with ${sample['late_deduction']} off for lateness, where 31.2 with 7.8 off is due:\n${JSON.stringify(why, null, 1)}\n${run.all}`);
    }
    expect(Number(row('sample-report')['residual-networks:resNet50'])).toBeLessThan(13);
    expect(Number(row('sample-report')['conv-application:forwardPropagation'])).toBeLessThan(10);

    expect(readFileSync(path.join(out, 'canvas.csv'), 'utf8').split('\n')[0]).toBe('Student,ID,SIS User ID,SIS Login ID,Section,Convolution model - Step by Step,Convolution model - Application,Residual Networks');
    expect(readFileSync(path.join(out, 'moodle.csv'), 'utf8')).toContain('s2026003,carl@example.edu,Carl Absent,,,');
    expect(readFileSync(path.join(out, 'check-ada-conv-application.txt'), 'utf8')).toContain('initializeParameters: PASS');
    for (const student of ['ada-vectorized', 'sample-report']) expect(existsSync(path.join(out, 'graded', 'students', student, 'report.html'))).toBe(true);
  }, 300_000);
});
