/**
 * A course's labgrade.config.json through the CLI: points per exercise, deadlines with a 10%-a-day
 * late policy (submission times from the roster, or --submitted-at), Gradescope visibility; and
 * configs that are wrong get a clear error before anything is graded.
 */
import { describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execaNode } from 'execa';
import { parse } from 'csv-parse/sync';
import { projectRoot } from '../../src/paths.js';
import { validateResult } from '../../src/report/result-json.js';
import { validateGradescope } from '../../src/report/gradescope.js';
import { SANDBOX } from '../sandbox-kind.js';
import { REFERENCE } from '../grading/submissions.js';

const BIN = path.join(projectRoot, 'bin', 'labgrade.js');
const run = (...args: string[]) => execaNode(BIN, [...args, '--sandbox', SANDBOX], { reject: false, all: true, env: { CI: 'true' } });
const tmp = (prefix: string) => mkdtempSync(path.join(os.tmpdir(), prefix));

const CONFIG = {
  labs: ['conv-step-by-step'],
  points: { 'conv-step-by-step': { zeroPad: 10 } },
  visibility: { hidden: 'after_due_date' },
  deadlines: { 'conv-step-by-step': '2026-12-01T23:59:00+08:00' },
  latePolicy: { percentPerDay: 10 },
};

function writeConfig(dir: string, config: unknown): string {
  const file = path.join(dir, 'labgrade.config.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

describe('labgrade.config.json', () => {
  test('a deadline and 10% a day take the right amount off a late student, in the gradebook, the report and results.json', async () => {
    const root = tmp('labgrade-config-');
    const submissions = path.join(root, 'submissions');
    for (const folder of ['early', 'late', 'untimed']) {
      mkdirSync(path.join(submissions, folder), { recursive: true });
      writeFileSync(path.join(submissions, folder, 'conv-step-by-step.ts'), REFERENCE);
    }
    const roster = path.join(root, 'roster.csv');
    writeFileSync(roster, 'folder,id,name,email,submitted_at\nearly,s1,Ann,ann@uni.edu,2026-12-01T20:00:00+08:00\nlate,s2,Bo,bo@uni.edu,2026-12-03T08:00:00+08:00\nuntimed,s3,Cy,cy@uni.edu,\n');
    const config = writeConfig(root, CONFIG);
    const out = path.join(root, 'out');
    const graded = await run('grade-class', submissions, '--out', out, '--config', config, '--roster', roster, '--jobs', '2', '--fixed-limits');
    expect(graded.exitCode).toBe(0);
    // The config names the labs: no guessing from what was submitted.
    expect(graded.stdout).not.toContain('the labs some student submitted');

    // zeroPad is worth 10 instead of the course's points: the lab's maximum follows.
    const early = validateResult(json(path.join(out, 'students', 'early', 'result.json')), 'early');
    const zeroPad = early.labs[0].exercises.find((x) => x.id === 'zeroPad')!;
    expect(zeroPad.maxPoints).toBe(10);
    const max = early.labs[0].maxPoints;
    expect(early.labs[0].points).toBe(max);
    expect(early.labs[0].late).toMatchObject({ daysLate: 0, deduction: 0 });

    // Handed in 32 hours late: two days, 20% of the lab.
    const late = validateResult(json(path.join(out, 'students', 'late', 'result.json')), 'late');
    const deduction = Math.round(max * 20) / 100;
    expect(late.labs[0].late).toEqual({ dueAt: CONFIG.deadlines['conv-step-by-step'], submittedAt: '2026-12-03T08:00:00+08:00', daysLate: 2, slackDaysUsed: 0, percent: 20, deduction, pointsBeforeDeduction: max });
    expect(late.total.points).toBeCloseTo(max - deduction, 6);
    expect(readFileSync(path.join(out, 'students', 'late', 'report.md'), 'utf8')).toContain(`**Late**: due 2026-12-01T23:59:00+08:00, handed in 2026-12-03T08:00:00+08:00: 2 days late; 20% of ${max} points taken off, −${deduction}.`);
    expect(readFileSync(path.join(out, 'students', 'late', 'report.html'), 'utf8')).toContain('<p class="late"><strong>Late</strong>: due 2026-12-01T23:59:00+08:00');

    const gradescope = validateGradescope(json(path.join(out, 'students', 'late', 'gradescope-results.json')), 'late');
    expect(gradescope.score).toBeCloseTo(max - deduction, 6);
    expect(gradescope.output).toContain(`2 days late; 20% of ${max} points taken off, −${deduction}.`);
    expect(new Set(gradescope.tests.filter((t) => t.name.endsWith('(hidden)')).map((t) => t.visibility))).toEqual(new Set(['after_due_date']));
    expect(new Set(gradescope.tests.filter((t) => !t.name.endsWith('(hidden)')).map((t) => t.visibility))).toEqual(new Set(['visible']));

    // Nobody said when the third was handed in: nothing taken off, and the report says why.
    const untimed = validateResult(json(path.join(out, 'students', 'untimed', 'result.json')), 'untimed');
    expect(untimed.total.points).toBe(max);
    expect(readFileSync(path.join(out, 'students', 'untimed', 'report.md'), 'utf8')).toContain('no submission time was given, so no late policy was applied');

    const rows: Record<string, string>[] = parse(readFileSync(path.join(out, 'gradebook.csv'), 'utf8'), { columns: true });
    expect(rows.map((r) => [r.folder, Number(r.late_deduction), Number(r.total), Number(r.max_total)])).toEqual([
      ['early', 0, max, max],
      ['late', deduction, Number((max - deduction).toFixed(2)), max],
      ['untimed', 0, max, max],
    ]);

    // The LMS gradebooks, through a roster of three: one of them handed nothing in, and the graded
    // folder "untimed" is not on it.
    const lmsRoster = path.join(root, 'lms-roster.csv');
    writeFileSync(lmsRoster, 'folder,id,name,email,class\nearly,s1,"Lee, Ann",ann@uni.edu,A1\nlate,s2,"Wu, Bo",bo@uni.edu,A2\nabsent,s4,"Ng, Di",di@uni.edu,A1\n');
    const canvasFile = path.join(root, 'canvas.csv');
    const canvas = await execaNode(BIN, ['export', 'canvas', out, '--out', canvasFile, '--roster', lmsRoster], { reject: false, all: true });
    expect(canvas.exitCode).toBe(0);
    expect(canvas.stdout).toContain('Wrote 3 students');
    expect(canvas.stdout).toContain('1 on the roster with no graded submission (empty grades, which an import leaves alone): s4');
    expect(canvas.stderr).toContain('labgrade: not exported: untimed: not in the roster');
    const title = late.labs[0].title;
    expect(parse(readFileSync(canvasFile, 'utf8'))).toEqual([
      ['Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section', title],
      ['Points Possible', '', '', '', '', String(max)],
      ['Lee, Ann', '', 's1', 'ann@uni.edu', 'A1', String(max)],
      ['Wu, Bo', '', 's2', 'bo@uni.edu', 'A2', String(late.total.points)],
      ['Ng, Di', '', 's4', 'di@uni.edu', 'A1', ''],
    ]);
    const moodleFile = path.join(root, 'moodle.csv');
    expect((await execaNode(BIN, ['export', 'moodle', out, '--out', moodleFile, '--roster', lmsRoster], { reject: false })).exitCode).toBe(0);
    expect(parse(readFileSync(moodleFile, 'utf8'))).toEqual([
      ['ID number', 'Email address', 'Full name', title],
      ['s1', 'ann@uni.edu', 'Lee, Ann', String(max)],
      ['s2', 'bo@uni.edu', 'Wu, Bo', String(late.total.points)],
      ['s4', 'di@uni.edu', 'Ng, Di', ''],
    ]);

    // A student's output folder names no classmate (what it was graded with is kept as a hash).
    expect(readFileSync(path.join(out, 'students', 'early', 'grading-key.json'), 'utf8')).toMatch(/^\{"key":"[0-9a-f]{64}"\}\n$/);

    // A changed policy regrades; the same one keeps every grade.
    const again = await run('grade-class', submissions, '--out', out, '--config', config, '--roster', roster, '--jobs', '2', '--fixed-limits');
    expect(again.stdout.match(/unchanged, kept/g)).toHaveLength(3);
    expect(parse(readFileSync(path.join(out, 'changes.csv'), 'utf8'))).toEqual([['folder', 'student_id', 'item', 'old', 'new', 'why']]);
    writeConfig(root, { ...CONFIG, latePolicy: { percentPerDay: 10, slackDays: 2 } });
    const slack = await run('grade-class', submissions, '--out', out, '--config', config, '--roster', roster, '--jobs', '2', '--fixed-limits');
    expect(slack.stdout).not.toContain('unchanged, kept');
    expect(validateResult(json(path.join(out, 'students', 'late', 'result.json')), 'late').labs[0].late).toMatchObject({ daysLate: 2, slackDaysUsed: 2, deduction: 0 });
    // The regrade says what it changed, for whom, and why.
    const why = 'the grading options or config';
    expect(parse(readFileSync(path.join(out, 'changes.csv'), 'utf8'))).toEqual([
      ['folder', 'student_id', 'item', 'old', 'new', 'why'],
      ['late', 's2', 'conv-step-by-step:total', String(late.total.points), String(max), why],
      ['late', 's2', 'total', String(late.total.points), String(max), why],
    ]);
    expect(readFileSync(path.join(out, 'summary.md'), 'utf8')).toContain(`## Changed since the last run\n\n- late: total ${late.total.points} → ${max}, changed items: 1; graded again for: ${why}\n`);
  }, 300_000);

  test('grade takes the submission time from --submitted-at', async () => {
    const root = tmp('labgrade-config-one-');
    const submission = path.join(root, 'submission');
    mkdirSync(submission);
    writeFileSync(path.join(submission, 'conv-step-by-step.ts'), REFERENCE);
    const out = path.join(root, 'out');
    const graded = await run('grade', submission, '--out', out, '--config', writeConfig(root, CONFIG), '--submitted-at', '2026-12-02T00:30:00+08:00');
    expect(graded.exitCode).toBe(0);
    const result = validateResult(json(path.join(out, 'result.json')), 'result');
    expect(result.labs[0].late).toMatchObject({ daysLate: 1, percent: 10 });
    expect(result.total.points).toBeCloseTo(result.labs[0].maxPoints * 0.9, 6);
    const bad = await run('grade', submission, '--out', out, '--config', path.join(root, 'labgrade.config.json'), '--submitted-at', 'yesterday');
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--submitted-at: "yesterday" is not a date and time with a time zone');
  }, 120_000);

  test('a config that is wrong is refused, naming what is wrong, before anything is graded', async () => {
    const root = tmp('labgrade-config-bad-');
    const refusals: [unknown, string][] = [
      [{ ...CONFIG, latePolicy: { percentPerDay: 150 } }, '/latePolicy/percentPerDay must be <= 100'],
      [{ ...CONFIG, points: { 'conv-step-by-step': { zeroPadding: 10 } } }, 'points.conv-step-by-step names "zeroPadding", which is not an exercise of that lab'],
      [{ ...CONFIG, deadlines: { 'conv-step-by-step': '1 December' } }, '/deadlines/conv-step-by-step must match pattern'],
      [{ latePolicy: { percentPerDay: 10 } }, 'latePolicy needs deadlines to apply to'],
      [{ ...CONFIG, deadlines: { 'conv-step-by-step': '2026-02-30T23:59:00+08:00' } }, 'deadlines.conv-step-by-step: "2026-02-30T23:59:00+08:00" is not a date and time'],
      [{ labs: ['lab-4'] }, '/labs/0 must be equal to one of the allowed values'],
      [{ visibility: { hidden: 'later' } }, '/visibility/hidden must be equal to one of the allowed values'],
    ];
    for (const [config, message] of refusals) {
      const refused = await run('grade', root, '--out', path.join(root, 'out'), '--config', writeConfig(root, config));
      expect([refused.exitCode, refused.stderr]).toEqual([2, expect.stringContaining(message)]);
    }
    writeFileSync(path.join(root, 'labgrade.config.json'), '{ "labs": [');
    const unreadable = await run('grade', root, '--out', path.join(root, 'out'), '--config', path.join(root, 'labgrade.config.json'));
    expect([unreadable.exitCode, unreadable.stderr]).toEqual([2, expect.stringContaining('could not be read')]);
  }, 120_000);
});
