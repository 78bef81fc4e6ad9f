/**
 * A 20-student synthetic class graded with --jobs 2 through the CLI: killed mid-run and resumed
 * (nothing lost, nothing graded twice), sharded three ways and merged (equal to the unsharded run),
 * with per-student and class outputs that validate.
 */
import { describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execaNode } from 'execa';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { projectRoot } from '../../src/paths.js';
import { parseShard, shardOf } from '../../src/class/grade-class.js';
import { validateGradescope } from '../../src/report/gradescope.js';
import { validateResult } from '../../src/report/result-json.js';
import { makeClass, VARIANTS } from './synthetic-class.js';

const BIN = path.join(projectRoot, 'bin', 'labgrade.js');
// The synthetic class submitted Lab 1 only; the limits' calibration is tested with the hostile class (test/adversarial/class-run.test.ts).
const run = (...args: string[]) => execaNode(BIN, args[0] === 'grade-class' ? [...args, '--lab', 'conv-step-by-step', '--fixed-limits'] : args, { reject: false, all: true, env: { CI: 'true' } });
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'labgrade-class-out-'));
// Each of the 6 variants three times or more, and two broken student.json files.
const SIZE = 20;
const klass = makeClass(SIZE);
const UNGRADABLE = klass.students.filter((s) => s.ungradable).length;
const resultFiles = (out: string) =>
  existsSync(path.join(out, 'students')) ? readdirSync(path.join(out, 'students')).filter((f) => existsSync(path.join(out, 'students', f, 'result.json'))) : [];

async function waitFor(condition: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!condition() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

describe('grade-class', () => {
  const unsharded = tmp();

  test('killed mid-run and resumed: every student graded once, nothing lost or half-written', async () => {
    const first = execaNode(BIN, ['grade-class', klass.dir, '--out', unsharded, '--jobs', '2', '--lab', 'conv-step-by-step', '--fixed-limits'], { reject: false, all: true });
    await waitFor(() => resultFiles(unsharded).length >= 6, 60_000);
    first.kill('SIGKILL');
    await first;
    const before = resultFiles(unsharded);
    expect(before.length).toBeGreaterThanOrEqual(6);
    expect(before.length).toBeLessThan(SIZE - 2);
    for (const f of before) expect(() => validateResult(JSON.parse(readFileSync(path.join(unsharded, 'students', f, 'result.json'), 'utf8')), f)).not.toThrow();

    const resumed = await run('grade-class', klass.dir, '--out', unsharded, '--jobs', '2');
    expect(resumed.exitCode).toBe(0);
    for (const f of before) expect(resumed.stdout).toContain(`${f}: `);
    // Everything finished before the kill is kept, not graded again.
    const keptLines = resumed.stdout.split('\n').filter((l) => l.includes('(unchanged, kept)'));
    for (const f of before) expect(keptLines.some((l) => l.includes(`] ${f}: `))).toBe(true);
    expect(resumed.stdout).toMatch(new RegExp(`${SIZE} students: \\d+ graded now, \\d+ unchanged and kept, ${UNGRADABLE} could not be graded`));

    // One row per student, with the points its variant must get.
    const gradebook = readFileSync(path.join(unsharded, 'gradebook.csv'), 'utf8').trim().split('\n');
    expect(gradebook.length).toBe(SIZE + 1);
    for (const s of klass.students) {
      const row = gradebook.find((r) => r.startsWith(`${s.folder},`))!;
      const cells = row.split(',');
      if (s.ungradable) {
        expect(cells[5]).toBe('ungradable');
        continue;
      }
      const want = VARIANTS.find((v) => v.kind === s.kind)!.points;
      if (want !== null) expect([s.folder, Number(cells.at(-2))]).toEqual([s.folder, want]);
    }
    // Temporaries a kill may leave between write and rename are gone after the resumed run.
    const leftovers = readdirSync(path.join(unsharded, 'students'), { recursive: true }).filter((f) => String(f).endsWith('.tmp'));
    expect(leftovers).toEqual([]);
  });

  test('three shards merged equal the unsharded run', async () => {
    const shards = [tmp(), tmp(), tmp()];
    for (const [i, out] of shards.entries()) {
      const r = await run('grade-class', klass.dir, '--out', out, '--jobs', '2', '--shard', `${i + 1}/3`);
      expect(r.exitCode).toBe(0);
    }
    const sizes = shards.map((out) => readdirSync(path.join(out, 'students')).length);
    expect(sizes.reduce((a, b) => a + b)).toBe(SIZE);
    const merged = tmp();
    const r = await run('merge', ...shards, '--out', merged);
    expect(r.exitCode).toBe(0);
    for (const file of ['gradebook.csv', 'class.json']) {
      expect([file, readFileSync(path.join(merged, file), 'utf8')]).toEqual([file, readFileSync(path.join(unsharded, file), 'utf8')]);
    }
  });

  test('per-student and class outputs validate', () => {
    const students = readdirSync(path.join(unsharded, 'students'));
    for (const f of students) {
      const dir = path.join(unsharded, 'students', f);
      if (!existsSync(path.join(dir, 'result.json'))) {
        expect(JSON.parse(readFileSync(path.join(dir, 'ungradable.json'), 'utf8')).reason).toMatch(/student\.json is not valid JSON|holds no lab file/);
        continue;
      }
      expect(() => validateGradescope(JSON.parse(readFileSync(path.join(dir, 'gradescope-results.json'), 'utf8')), f)).not.toThrow();
      const junit = readFileSync(path.join(dir, 'junit.xml'), 'utf8');
      expect(XMLValidator.validate(junit)).toBe(true);
      const parsed = new XMLParser({ ignoreAttributes: false }).parse(junit);
      expect(Number(parsed.testsuites['@_tests'])).toBe(53);
    }
    const classJunit = readFileSync(path.join(unsharded, 'junit.xml'), 'utf8');
    expect(XMLValidator.validate(classJunit)).toBe(true);
    const summary = JSON.parse(readFileSync(path.join(unsharded, 'class.json'), 'utf8')).summary;
    expect(summary).toMatchObject({ students: SIZE, graded: SIZE - UNGRADABLE });
    expect(summary.ungradable).toHaveLength(UNGRADABLE);
    expect(readFileSync(path.join(unsharded, 'summary.md'), 'utf8')).toContain(`${SIZE} submissions: ${SIZE - UNGRADABLE} graded, ${UNGRADABLE} could not be graded.`);
    // Copies of one example are flagged as similar; different solutions and unfilled starters are not.
    const kindOf = new Map(klass.students.map((s) => [s.folder, s.kind]));
    const similar: { left: string; right: string }[] = summary.similar;
    expect(similar.some((p) => p.left === 's01' && p.right === 's07')).toBe(true);
    const gradedKind = (f: string) => (klass.students.find((s) => s.folder === f)!.ungradable ? 'ungradable' : kindOf.get(f));
    for (const p of similar) {
      const kinds = new Set([gradedKind(p.left), gradedKind(p.right)]);
      expect([p, kinds.has('starter') || kinds.has('vectorized') ? kinds.size : 1]).toEqual([p, 1]);
    }
    const html = readFileSync(path.join(unsharded, 'summary.html'), 'utf8');
    expect(html).toContain(`<p id="class-line">${SIZE} submissions: ${SIZE - UNGRADABLE} graded, ${UNGRADABLE} could not be graded.`);
    expect(html).toMatch(/<figure class="chart"><svg[\s\S]*<\/svg><\/figure>/);
    for (const f of students.filter((s) => existsSync(path.join(unsharded, 'students', s, 'result.json')))) {
      expect(readFileSync(path.join(unsharded, 'students', f, 'report.html'), 'utf8')).toContain('<!DOCTYPE html>');
    }
  });

  test('merging two gradings of different submissions for one student is refused', async () => {
    const a = tmp();
    const b = tmp();
    const one = makeClass(1);
    expect((await run('grade-class', one.dir, '--out', a)).exitCode).toBe(0);
    writeFileSync(path.join(one.dir, 's01', 'conv-step-by-step.ts'), '// changed\n');
    expect((await run('grade-class', one.dir, '--out', b)).exitCode).toBe(0);
    const r = await run('merge', a, b, '--out', tmp());
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('student s01 was graded from different submissions');
  });
});

describe('shards', () => {
  test('a student\'s shard depends on its folder name only', () => {
    expect(shardOf('alice', 3)).toBe(shardOf('alice', 3));
    const counts = [1, 2, 3].map((k) => Array.from({ length: 300 }, (_, i) => `s${i}`).filter((f) => shardOf(f, 3) === k).length);
    for (const c of counts) expect(c).toBeGreaterThan(60);
  });

  test.each(['0/3', '4/3', '1/0', 'x', '1-3'])('--shard %s is bad usage', (text) => {
    expect(() => parseShard(text)).toThrow(/--shard must be k\/n/);
  });
});

describe('grade-class and merge, edge cases', () => {
  const small = () => {
    const k = makeClass(4); // s01 reference, s02 vectorized, s03 sample report, s04 starter
    writeFileSync(path.join(k.dir, 's02', 'student.json'), JSON.stringify({ id: 's02', name: '=HYPERLINK("http://evil","x")' }));
    return k;
  };

  test('a rerun keeps grades, follows --lang, drops departed students and ignores dot files', async () => {
    const k = small();
    const out = tmp();
    expect((await run('grade-class', k.dir, '--out', out, '--jobs', '2')).exitCode).toBe(0);
    mkdirSync(path.join(k.dir, 's01', '.git'));
    writeFileSync(path.join(k.dir, 's01', '.git', 'HEAD'), 'ref: refs/heads/main\n');
    rmSync(path.join(k.dir, 's04'), { recursive: true });
    const again = await run('grade-class', k.dir, '--out', out, '--jobs', '2', '--lang', 'zh');
    expect(again.stdout).toContain('3 students: 0 graded now, 3 unchanged and kept');
    expect(readFileSync(path.join(out, 'students', 's01', 'report.html'), 'utf8')).toContain('<html lang="zh">');
    expect(existsSync(path.join(out, 'students', 's04'))).toBe(false);
    const gradebook = readFileSync(path.join(out, 'gradebook.csv'), 'utf8');
    expect(gradebook.trim().split('\n')).toHaveLength(4);
    expect(gradebook).toContain(`"'=HYPERLINK(""http://evil"",""x"")"`);
  });

  test('an empty shard still merges; differing runs and a non-empty target do not', async () => {
    const k = small();
    const shards = [1, 2, 3, 4, 5, 6, 7, 8].map(() => tmp());
    for (const [i, out] of shards.entries()) expect((await run('grade-class', k.dir, '--out', out, '--shard', `${i + 1}/8`)).exitCode).toBe(0);
    expect(shards.some((out) => readdirSync(path.join(out, 'students')).length === 0)).toBe(true);
    const merged = tmp();
    expect((await run('merge', ...shards, '--out', merged)).exitCode).toBe(0);
    expect(readdirSync(path.join(merged, 'students')).sort()).toEqual(['s01', 's02', 's03', 's04']);
    const publicOnly = tmp();
    expect((await run('grade-class', k.dir, '--out', publicOnly, '--public-only')).exitCode).toBe(0);
    const mixed = await run('merge', shards[0], shards[1], shards[2], shards[3], shards[4], shards[5], shards[6], shards[7], publicOnly, '--out', tmp());
    expect(mixed.exitCode).toBe(2);
    expect(mixed.stderr).toContain('the runs differ');
    const occupied = await run('merge', ...shards, '--out', merged);
    expect(occupied.exitCode).toBe(2);
    expect(occupied.stderr).toContain('is not empty');
  });

  test('JUnit shows a broken or ungradable student as errors, suites named by folder', async () => {
    const k = small();
    writeFileSync(path.join(k.dir, 's03', 'conv-step-by-step.ts'), 'export const broken = (;\n');
    mkdirSync(path.join(k.dir, 's05'));
    const out = tmp();
    expect((await run('grade-class', k.dir, '--out', out)).exitCode).toBe(0);
    const junit = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(path.join(out, 'junit.xml'), 'utf8'));
    const suites: { '@_name': string; '@_errors': string }[] = junit.testsuites.testsuite;
    const broken = suites.filter((s) => s['@_name'].startsWith('s03.'));
    expect(broken.length).toBe(8);
    expect(broken.every((s) => Number(s['@_errors']) > 0)).toBe(true);
    expect(readFileSync(path.join(out, 'students', 's03', 'junit.xml'), 'utf8')).toContain('could not be compiled');
    expect(suites.find((s) => s['@_name'] === 's05')?.['@_errors']).toBe('1');
  });

  test('without --lab, a class that submitted Lab 1 only is graded on Lab 1 and totalled out of 50', async () => {
    const k = small();
    const out = tmp();
    const r = await execaNode(BIN, ['grade-class', k.dir, '--out', out, '--fixed-limits'], { reject: false, all: true, env: { CI: 'true' } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Grading conv-step-by-step: the labs some student submitted');
    const rows = readFileSync(path.join(out, 'gradebook.csv'), 'utf8').trim().split('\n').slice(1);
    expect(rows.every((row) => row.endsWith(',50'))).toBe(true);
    expect(readFileSync(path.join(out, 'summary.md'), 'utf8')).toContain('Graded on conv-step-by-step; totals are out of these labs.');
  });
});
