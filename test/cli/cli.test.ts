/** The CLI as users run it: exit codes, files written, messages for bad input. */
import { describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execaNode } from 'execa';
import { projectRoot } from '../../src/paths.js';
import { validateResult } from '../../src/report/result-json.js';
import { makeSubmission, REFERENCE } from '../grading/submissions.js';
import { SANDBOX } from '../sandbox-kind.js';

const BIN = path.join(projectRoot, 'bin', 'labgrade.js');
const run = (...args: string[]) => execaNode(BIN, args, { reject: false, cwd: os.tmpdir(), all: true });
/** `grade` in the sandbox the tests use (bubblewrap where it runs here). */
const grade = (...args: string[]) => run('grade', ...args, '--sandbox', SANDBOX);
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'labgrade-out-'));
const example = (name: string) => path.join(projectRoot, 'examples', 'submissions', name);

describe('labgrade grade', () => {
  test('grades a folder anywhere on disk and writes result.json and report.md (exit 0)', async () => {
    const out = tmp();
    const r = await grade(example('sample-report-mistakes'), '--out', out, '--lab', 'conv-step-by-step');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('example-sample-report: 39 / 50 points');
    const result = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8'));
    expect(() => validateResult(result, 'result.json')).not.toThrow();
    expect(result.labs[0].id).toBe('conv-step-by-step');
    expect(readFileSync(path.join(out, 'report.md'), 'utf8')).toContain('**Likely mistake:** You multiplied by the bias instead of adding it.');
  });

  test('a submission outside the project imports labgrade\'s own tfjs (no node_modules there)', async () => {
    const dir = makeSubmission({ 'conv-step-by-step.ts': REFERENCE, 'student.json': '{"id": "s1"}' });
    expect(existsSync(path.join(dir, 'node_modules'))).toBe(false);
    const out = tmp();
    const r = await grade(dir, '--out', out, '--lab', 'conv-step-by-step');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('s1: 50 / 50 points');
  });

  test.each([
    [['grade', '/no/such/folder', '--out', '/tmp/x', '--sandbox', 'node'], 'is not a folder'],
    [['grade', example('correct-vectorized')], "required option '--out <dir>' not specified"],
    [['grade', example('correct-vectorized'), '--out', '/tmp/x', '--lab', 'nope'], 'unknown lab "nope"'],
    [['grade', os.tmpdir(), '--out', '/tmp/x', '--sandbox', 'node'], 'holds no lab file; expected conv-step-by-step.ts'],
    [['grade', example('correct-vectorized'), '--out', '/tmp/x', '--sandbox', 'docker'], 'unknown sandbox "docker"'],
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['grade', example('correct-vectorized'), '--out', '/tmp/x', '--backend', 'gpu'], 'unknown backend "gpu": choose one of auto, tensorflow, webgpu, wasm, cpu'],
    // tfjs-node's native file ops would get past the sandbox; WebGPU cannot read tensors synchronously in Node.
    [['grade', example('correct-vectorized'), '--out', '/tmp/x', '--lab', 'conv-step-by-step', '--backend', 'tensorflow'], 'the tensorflow backend (tfjs-node) cannot run submitted code'],
    [['grade', example('correct-vectorized'), '--out', '/tmp/x', '--lab', 'conv-step-by-step', '--backend', 'webgpu'], 'the webgpu backend cannot run function checks'],
  ])('bad usage %p exits 2 with a clear message', async (args, message) => {
    const r = await run(...args);
    // Output and code together, so that a failure shows what the process printed.
    expect({ exitCode: r.exitCode, output: r.all }).toEqual({ exitCode: 2, output: expect.stringContaining(message) });
  });

  test('a bad student.json is a clear error naming the file and the field', async () => {
    const dir = makeSubmission({ 'conv-step-by-step.ts': REFERENCE, 'student.json': '{"id": "s 1", "email": "not-an-email"}' });
    const r = await grade(dir, '--out', tmp());
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${path.join(dir, 'student.json')} is not valid`);
    expect(r.stderr).toContain('/email must match pattern');
    expect(r.stderr).toContain('/id must match pattern');
    const broken = makeSubmission({ 'conv-step-by-step.ts': REFERENCE, 'student.json': '{"id": ' });
    const r2 = await grade(broken, '--out', tmp());
    expect(r2.exitCode).toBe(2);
    expect(r2.stderr).toContain('student.json is not valid JSON');
  });

  test('an output folder that cannot be written is a harness failure (exit 1)', async () => {
    const file = path.join(tmp(), 'a-file');
    writeFileSync(file, '');
    const r = await grade(example('correct-vectorized'), '--out', path.join(file, 'out'));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('labgrade: internal error');
  });
});

describe('the OS sandbox by default', () => {
  /** The CLI where bubblewrap cannot start: LABGRADE_BWRAP names an executable that is not there. */
  const withoutBwrap = (...args: string[]) => execaNode(BIN, args, { reject: false, cwd: os.tmpdir(), all: true, env: { LABGRADE_BWRAP: '/nonexistent/bwrap' } });

  test('without bubblewrap, grading a real submission stops with the install step (exit 2), and nothing is graded', async () => {
    const out = tmp();
    const r = await withoutBwrap('grade', makeSubmission({ 'conv-step-by-step.ts': REFERENCE }), '--out', out);
    expect({ exitCode: r.exitCode, output: r.all }).toEqual({ exitCode: 2, output: expect.stringContaining('the OS sandbox for submitted code cannot start: bubblewrap is not installed (sudo apt-get install bubblewrap)') });
    expect(r.all).toContain('or pass --sandbox node');
    expect(existsSync(path.join(out, 'result.json'))).toBe(false);
  });

  test('without bubblewrap, the bundled examples are graded anyway, saying so in the output and in result.json', async () => {
    const out = tmp();
    const r = await withoutBwrap('grade', example('correct-vectorized'), '--out', out, '--lab', 'conv-step-by-step');
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain("the bundled example submissions are labgrade's own files, so they ran under Node's permission model alone");
    const result = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8'));
    expect(result.sandbox.kind).toBe('node');
    expect(readFileSync(path.join(out, 'report.md'), 'utf8')).toContain("Sandbox: bubblewrap is not installed");
  });

  test('train says a datasets folder without SIGNS is the problem before it looks for the sandbox (exit 2)', async () => {
    const r = await withoutBwrap('train', 'residual-networks', makeSubmission({ 'residual-networks.ts': 'export {};\n' }), '--out', tmp(), '--data', tmp());
    expect(r.exitCode).toBe(2);
    expect(r.all).toContain('signs');
    expect(r.all).not.toContain('bubblewrap');
  });

  test('--sandbox node is an explicit opt-out, recorded in result.json and the report', async () => {
    const out = tmp();
    const r = await withoutBwrap('grade', makeSubmission({ 'conv-step-by-step.ts': REFERENCE }), '--out', out, '--sandbox', 'node');
    expect(r.exitCode).toBe(0);
    const result = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8'));
    expect(result.sandbox).toEqual({ kind: 'node', note: expect.stringContaining('--sandbox node') });
    expect(readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('no OS sandbox');
  });

  test('check runs a student\'s own file under the permission model alone, bubblewrap or not', async () => {
    const r = await withoutBwrap('check', path.join(makeSubmission({ 'conv-step-by-step.ts': REFERENCE }), 'conv-step-by-step.ts'));
    expect(r.exitCode).toBe(0);
  });
});

describe('labgrade check', () => {
  test('the unfilled starter: feedback on every public check, exit 1', async () => {
    const r = await run('check', path.join(projectRoot, 'exercises', 'conv-step-by-step.ts'));
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('0 of 28 public checks passed');
    expect(r.stdout).not.toContain('hidden-');
  });

  test('a correct file passes every public check, exit 0', async () => {
    const dir = makeSubmission({ 'conv-step-by-step.ts': REFERENCE });
    const r = await run('check', path.join(dir, 'conv-step-by-step.ts'));
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('28 of 28 public checks passed');
  });

  test('a missing function fails the check (exit 1) and its checks count as not passed', async () => {
    const dir = makeSubmission({ 'conv-step-by-step.ts': REFERENCE.replace('export function distributeValue(', 'function distributeValue(') });
    const r = await run('check', path.join(dir, 'conv-step-by-step.ts'));
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('distributeValue: MISSING');
    expect(r.stdout).toContain('conv-step-by-step.ts does not export a function named distributeValue');
    expect(r.stdout).toContain('26 of 28 public checks passed');
  });

  test("the feedback speaks the terminal's language (LANG=zh_CN), or the one --lang names", async () => {
    const dir = makeSubmission({ 'conv-step-by-step.ts': REFERENCE.replace('export function distributeValue(', 'function distributeValue(') });
    const file = path.join(dir, 'conv-step-by-step.ts');
    const zh = await execaNode(BIN, ['check', file], { reject: false, cwd: os.tmpdir(), env: { LANG: 'zh_CN.UTF-8', LC_ALL: '' } });
    expect(zh.stdout).toContain('卷积模型——逐步实现（conv-step-by-step.ts）：公开检查');
    expect(zh.stdout).toContain('distributeValue: 缺失');
    expect(zh.stdout).toContain('conv-step-by-step.ts 没有导出名为 distributeValue 的函数');
    expect(zh.stdout).toContain('28 个公开检查中通过了 26 个');
    const en = await execaNode(BIN, ['check', file, '--lang', 'en'], { reject: false, cwd: os.tmpdir(), env: { LANG: 'zh_CN.UTF-8', LC_ALL: '' } });
    expect(en.stdout).toContain('26 of 28 public checks passed');
  });

  test('a file that is not a lab file is bad usage', async () => {
    const dir = makeSubmission({ 'my-lab.ts': REFERENCE });
    const r = await run('check', path.join(dir, 'my-lab.ts'));
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('my-lab.ts is not a lab file; labgrade checks conv-step-by-step.ts');
  });
});

describe('labgrade fixtures generate --check', () => {
  // Training the reference again takes minutes: test/grading/lab2.test.ts checks those results against a fresh run instead.
  test('the committed expected outputs are what the reference solution generates (the trained ones kept)', async () => {
    const r = await run('fixtures', 'generate', '--check', '--skip-training');
    expect(r.stdout).not.toContain('STALE');
    expect(r.exitCode).toBe(0);
  });
});
