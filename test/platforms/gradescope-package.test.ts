/**
 * The Gradescope package end to end, as Gradescope runs it: unzipped into AUTOGRADER_ROOT/source,
 * setup.sh (npm is its only network), then run_autograder on a correct, a faulty and an empty
 * submission, each results.json checked against Gradescope's format; the late policy applied from
 * submission_metadata.json.
 */
import { describe, expect, test } from '@jest/globals';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, execaNode } from 'execa';
import { projectRoot } from '../../src/paths.js';
import { validateGradescope } from '../../src/report/gradescope.js';
import { SANDBOX } from '../sandbox-kind.js';

const BIN = path.join(projectRoot, 'bin', 'labgrade.js');

describe('labgrade gradescope', () => {
  test('the package installs with setup.sh and grades with run_autograder, late policy and visibility included', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'labgrade-gradescope-test-'));
    const config = path.join(work, 'labgrade.config.json');
    writeFileSync(config, JSON.stringify({ latePolicy: { percentPerDay: 10 }, deadlines: { 'conv-step-by-step': '2026-12-01T23:59:00+08:00' }, visibility: { hidden: 'after_due_date' } }));
    const zip = path.join(work, 'autograder.zip');
    const built = await execaNode(BIN, ['gradescope', zip, '--lab', 'conv-step-by-step', '--config', config], { reject: false, all: true });
    expect([built.exitCode, built.all]).toEqual([0, expect.stringContaining('upload it as the assignment\'s autograder')]);
    const root = path.join(work, 'autograder');
    mkdirSync(path.join(root, 'source'), { recursive: true });
    await execa('unzip', ['-q', zip, '-d', path.join(root, 'source')]);
    // No solution travels in the package; the hidden checks do.
    const listing = (await execa('unzip', ['-Z1', zip])).stdout.split('\n');
    expect(listing.filter((f) => /solutions\//.test(f))).toEqual([]);
    expect(listing).toEqual(expect.arrayContaining(['setup.sh', 'run_autograder', 'labgrade.config.json', 'labgrade/fixtures/conv-step-by-step/hidden.expected.json', 'labgrade/bin/labgrade.js']));
    const env = { AUTOGRADER_ROOT: root };
    const setup = await execa('bash', [path.join(root, 'source', 'setup.sh')], { env, reject: false, all: true });
    expect([setup.exitCode, setup.all?.slice(-2000)]).toEqual([0, expect.any(String)]);

    async function runAutograder(labFile: string | null, createdAt: string, extendedTo?: string) {
      rmSync(path.join(root, 'submission'), { recursive: true, force: true });
      rmSync(path.join(root, 'results'), { recursive: true, force: true });
      mkdirSync(path.join(root, 'submission'), { recursive: true });
      if (labFile) copyFileSync(labFile, path.join(root, 'submission', 'conv-step-by-step.ts'));
      const users = extendedTo ? { users: [{ email: 'a@uni.edu', assignment: { due_date: extendedTo } }] } : {};
      writeFileSync(path.join(root, 'submission_metadata.json'), JSON.stringify({ created_at: createdAt, assignment: { due_date: '2026-12-08T23:59:00.000000+08:00' }, ...users }));
      // run_autograder uses bubblewrap where it starts, else says so and grades under the permission model.
      const ran = await execa('bash', [path.join(root, 'source', 'run_autograder')], { env, reject: false, all: true });
      expect(ran.exitCode).toBe(0);
      if (SANDBOX === 'bwrap') expect(ran.stdout).not.toContain('bubblewrap cannot start');
      return validateGradescope(JSON.parse(readFileSync(path.join(root, 'results', 'results.json'), 'utf8')), 'results.json');
    }

    // Correct and on time: full marks; public tests visible, hidden ones after the due date (the config).
    const correct = await runAutograder(path.join(projectRoot, 'solutions', 'conv-step-by-step.ts'), '2026-12-01T20:00:00.123456+08:00');
    expect(correct.score).toBe(50);
    expect(correct.output).toContain('on time');
    expect(new Set(correct.tests.map((t) => `${t.name.endsWith('(hidden)')}:${t.visibility}`))).toEqual(new Set(['false:visible', 'true:after_due_date']));
    // Faulty, and two days late by the config's own deadline (it wins over the assignment's): 39 less 20%.
    const faulty = await runAutograder(path.join(projectRoot, 'examples', 'submissions', 'sample-report-mistakes', 'conv-step-by-step.ts'), '2026-12-03T08:00:00.5+08:00');
    expect(faulty.score).toBeCloseTo(39 * 0.8, 6);
    expect(faulty.output).toContain('2 days late; 20% of 39 points taken off, −7.8.');
    expect(faulty.tests.some((t) => t.status === 'failed')).toBe(true);
    // The same, with an extension Gradescope records for the student: it wins over the config's deadline.
    const extended = await runAutograder(path.join(projectRoot, 'examples', 'submissions', 'sample-report-mistakes', 'conv-step-by-step.ts'), '2026-12-03T08:00:00.5+08:00', '2026-12-10T23:59:00.000000+08:00');
    expect(extended.score).toBe(39);
    expect(extended.output).toContain('on time');
    // Nothing handed in: 0, and the student is told why.
    const empty = await runAutograder(null, '2026-12-01T20:00:00Z');
    expect(empty.score).toBe(0);
    expect(empty.output).toMatch(/^Your submission could not be graded:[\s\S]*holds no lab file/);
  }, 300_000);
});
