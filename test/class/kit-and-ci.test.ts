/** The student kit holds no solutions or hidden checks and works from a fresh install; the CI templates fit the CLI. */
import { describe, expect, test } from '@jest/globals';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, execaNode } from 'execa';
import { parse } from 'yaml';
import { projectRoot } from '../../src/paths.js';

const BIN = path.join(projectRoot, 'bin', 'labgrade.js');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}

describe('labgrade kit', () => {
  const kit = path.join(mkdtempSync(path.join(os.tmpdir(), 'labgrade-kit-')), 'kit');

  test('holds the starter files and public checks, and nothing of the solutions or hidden checks', async () => {
    const r = await execaNode(BIN, ['kit', kit], { reject: false });
    expect(r.exitCode).toBe(0);
    const files = filesUnder(kit).map((f) => path.relative(kit, f));
    expect(files).toContain('conv-step-by-step.ts');
    expect(files).toContain('.github/workflows/check.yml');
    expect(files).toContain('labgrade/fixtures/conv-step-by-step/public.expected.json');
    expect(files.filter((f) => /hidden|solutions/.test(f))).toEqual([]);
    // No file carries the reference solution's code or a hidden case.
    const solution = readFileSync(path.join(projectRoot, 'solutions', 'conv-step-by-step.ts'), 'utf8');
    const telltale = solution.split('\n').find((l) => l.includes('Unpad with a slice'))!.trim();
    const hiddenKey = Object.keys(JSON.parse(readFileSync(path.join(projectRoot, 'fixtures/conv-step-by-step/hidden.expected.json'), 'utf8')).cases)[0];
    for (const f of filesUnder(kit)) {
      const text = readFileSync(f, 'utf8');
      expect([f, text.includes(telltale) || text.includes(hiddenKey)]).toEqual([f, false]);
    }
    expect(readFileSync(path.join(kit, 'conv-step-by-step.ts'), 'utf8')).toBe(readFileSync(path.join(projectRoot, 'exercises', 'conv-step-by-step.ts'), 'utf8'));
  });

  test('`check` works from the kit after a fresh npm install; `grade` says the hidden checks are not there', async () => {
    const install = await execa('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: kit, reject: false, all: true });
    expect([install.exitCode, install.all?.slice(-500)]).toEqual([0, expect.any(String)]);
    const labgrade = path.join(kit, 'node_modules', '.bin', 'labgrade');
    const starter = await execa(labgrade, ['check', 'conv-step-by-step.ts'], { cwd: kit, reject: false });
    expect(starter.exitCode).toBe(1);
    expect(starter.stdout).toContain('0 of 28 public checks passed');
    copyFileSync(path.join(projectRoot, 'solutions', 'conv-step-by-step.ts'), path.join(kit, 'conv-step-by-step.ts'));
    const solved = await execa(labgrade, ['check', 'conv-step-by-step.ts'], { cwd: kit, reject: false });
    expect(solved.exitCode).toBe(0);
    expect(solved.stdout).toContain('28 of 28 public checks passed');
    const grade = await execa(labgrade, ['grade', '.', '--out', path.join(kit, 'out')], { cwd: kit, reject: false });
    expect(grade.exitCode).toBe(2);
    expect(grade.stderr).toContain('has no hidden checks');
  });

  test('refuses a folder that is not empty', async () => {
    const r = await execaNode(BIN, ['kit', projectRoot], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('is not empty');
  });
});

describe('CI templates', () => {
  const load = (file: string) => parse(readFileSync(path.join(projectRoot, 'ci', file), 'utf8'));

  test('GitHub: a shard matrix feeds a merge job, with the shard count used by the grade command', () => {
    const wf = load('github/grade-class.yml');
    const shards: number[] = wf.jobs.grade.strategy.matrix.shard;
    expect(shards).toEqual(Array.from({ length: Number(wf.env.SHARDS) }, (_, i) => i + 1));
    const gradeRun = wf.jobs.grade.steps.map((s: { run?: string }) => s.run ?? '').join('\n');
    expect(gradeRun).toContain('labgrade grade-class submissions --out out/shard-${{ matrix.shard }} --jobs 2 --shard ${{ matrix.shard }}/$SHARDS');
    expect(wf.jobs.merge.needs).toBe('grade');
    expect(wf.jobs.merge.steps.map((s: { run?: string }) => s.run ?? '').join('\n')).toContain('labgrade merge shards/shard-* --out class');
  });

  test('GitLab: the same shards and merge', () => {
    const ci = load('gitlab/grade-class.gitlab-ci.yml');
    expect(ci.grade.parallel.matrix[0].SHARD).toEqual(['1', '2', '3']);
    expect(ci.variables.SHARDS).toBe('3');
    expect(ci.merge.needs).toEqual(['grade']);
    expect(ci.merge.script.join('\n')).toContain('labgrade merge out/shard-* --out class');
  });

  test('an optional GPU job trains each ResNet50 with labgrade train, and grading scores those models; without a GPU runner it says so', () => {
    const wf = load('github/grade-class.yml');
    expect(wf.jobs.train['runs-on']).toBe('${{ vars.LABGRADE_GPU_RUNNER }}');
    expect(wf.jobs.train.if).toBe("vars.LABGRADE_GPU_RUNNER != ''");
    expect(wf.jobs.train.steps.map((s: { run?: string }) => s.run ?? '').join('\n')).toContain('npx labgrade train residual-networks "$dir" --out "trained/$student" --backend webgpu');
    expect(wf.jobs['no-gpu'].if).toBe("vars.LABGRADE_GPU_RUNNER == ''");
    expect(wf.jobs['no-gpu'].steps[0].run).toContain('No GPU runner');
    // The grade jobs run after a skipped GPU job too, and put the trained models in place first.
    expect(wf.jobs.grade.needs).toEqual(['train', 'no-gpu']);
    expect(wf.jobs.grade.if).toBe('${{ !cancelled() && !failure() }}');
    const gradeRun = wf.jobs.grade.steps.map((s: { run?: string }) => s.run ?? '').join('\n');
    expect(gradeRun.indexOf('cp -r "$model" "submissions/$student/resnet50"')).toBeLessThan(gradeRun.indexOf('labgrade grade-class'));
    const ci = load('gitlab/grade-class.gitlab-ci.yml');
    expect(ci.train.tags).toEqual(['$LABGRADE_GPU_TAG']);
    expect(ci.train.rules[0].if).toBe('$LABGRADE_GPU_TAG');
    expect(ci.grade.needs).toEqual([{ job: 'train', optional: true }]);
    expect(ci['no-gpu'].script.join('\n')).toContain('No GPU runner');
  });

  test('the student workflow runs the public checks', () => {
    const wf = load('github/student-check.yml');
    expect(wf.jobs.check.steps.map((s: { run?: string }) => s.run ?? '').join('\n')).toContain('npx labgrade check "$lab"');
  });
});

describe('the npm package', () => {
  test('carries every file labgrade reads at run time', async () => {
    const r = await execa('npm', ['pack', '--dry-run', '--json'], { cwd: projectRoot });
    const files = new Set<string>(JSON.parse(r.stdout)[0].files.map((f: { path: string }) => f.path));
    const needed = [
      'bin/labgrade.js',
      'dist/src/cli/main.js',
      'dist/src/sandbox/child.js',
      'dist/graders/index.js',
      'schemas/result.schema.json',
      'schemas/gradescope-results.schema.json',
      'schemas/config.schema.json',
      'fixtures/conv-step-by-step/public.expected.json',
      'fixtures/conv-step-by-step/hidden.expected.json',
      'exercises/conv-step-by-step.ts',
      ...readdirSync(path.join(projectRoot, 'reports', 'templates')).map((f) => `reports/templates/${f}`),
      ...readdirSync(path.join(projectRoot, 'reports', 'i18n')).map((f) => `reports/i18n/${f}`),
    ];
    expect(needed.filter((f) => !files.has(f))).toEqual([]);
    expect([...files].filter((f) => f.startsWith('solutions/') || f.startsWith('dist/solutions/'))).toEqual([]);
  });
});
