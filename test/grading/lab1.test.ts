/**
 * Lab 1 graded end to end through the sandbox: the reference, the starter, the example
 * submissions, and submissions that break in each way the engine must contain.
 */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { convStepByStep } from '../../graders/conv-step-by-step.js';
import { gradeLab } from '../../src/engine/grade-lab.js';
import type { LabTimeouts } from '../../src/engine/lab-context.js';
import { gradeSubmission, openSubmission } from '../../src/engine/grade-submission.js';
import { SANDBOX } from '../sandbox-kind.js';
import type { ExerciseResult, LabResult } from '../../src/contract/result.js';
import { validateResult } from '../../src/report/result-json.js';
import { projectRoot } from '../../src/paths.js';
import { loadExpected } from '../../src/cases/expected.js';
import { formatNumber } from '../../src/contract/values.js';
import { diagnosed, makeSubmission, referenceWith } from './submissions.js';
import { english, msg } from '../../src/i18n/messages.js';
import { extractStudentCode } from '../../src/submission/student-code.js';

const LAB_FILE = 'conv-step-by-step.ts';
const EXERCISES = convStepByStep.exercises.map((e) => e.id);
const grade = (dir: string, timeouts?: Partial<LabTimeouts>) => gradeLab(convStepByStep, openSubmission(dir), { checks: 'all', sandbox: SANDBOX, timeouts });
const byId = (lab: LabResult) => Object.fromEntries(lab.exercises.map((e) => [e.id, e])) as Record<string, ExerciseResult>;
const pointsOf = (lab: LabResult) => Object.fromEntries(lab.exercises.map((e) => [e.id, e.points]));

function expectOnlyAffected(lab: LabResult, affected: string[]): void {
  for (const ex of lab.exercises) {
    if (affected.includes(ex.id)) expect([ex.id, ex.points]).toEqual([ex.id, 0]);
    else expect([ex.id, ex.status, ex.points]).toEqual([ex.id, 'passed', ex.maxPoints]);
  }
}

describe('reference and starter', () => {
  test('solutions/ gets 50 of 50, every check passing', async () => {
    const lab = await grade(path.join(projectRoot, 'solutions'));
    expect(lab.status).toBe('graded');
    expect([lab.points, lab.maxPoints]).toEqual([50, 50]);
    expect(lab.exercises.every((e) => e.status === 'passed' && e.checks.every((c) => c.passed))).toBe(true);
    expect(lab.exercises.map((e) => e.checks.length).reduce((a, b) => a + b)).toBe(53);
  });

  test('the unfilled starter gets 0 and every exercise is graded (no crash)', async () => {
    const lab = await grade(path.join(projectRoot, 'exercises'));
    expect(lab.status).toBe('graded');
    expect(lab.points).toBe(0);
    expect(lab.exercises.map((e) => e.status)).toEqual(EXERCISES.map(() => 'failed'));
    expect(byId(lab).zeroPad.checks[0].message).toContain('START CODE HERE');
  });
});

describe('example submissions', () => {
  test('a correct submission written with whole-tensor ops gets full marks', async () => {
    const lab = await grade(path.join(projectRoot, 'examples/submissions/correct-vectorized'));
    expect(pointsOf(lab)).toEqual(Object.fromEntries(convStepByStep.exercises.map((e) => [e.id, e.points])));
  });

  test('the sample report\'s mistakes lose points exactly on convSingleStep and poolBackward, each named', async () => {
    const lab = await grade(path.join(projectRoot, 'examples/submissions/sample-report-mistakes'));
    expectOnlyAffected(lab, ['convSingleStep', 'poolBackward']);
    expect(lab.points).toBe(39);
    const ex = byId(lab);
    // A hidden check's diagnosis is the instructor's (hiddenDetail): the student reads only "not passed".
    expect(ex.convSingleStep.checks.map((c) => diagnosed(c))).toEqual(ex.convSingleStep.checks.map(() => 'bias-multiplied'));
    expect(ex.poolBackward.checks.map((c) => diagnosed(c))).toEqual(ex.poolBackward.checks.map(() => 'last-example-only'));
    const hidden = ex.convSingleStep.checks.filter((c) => !c.public);
    expect(hidden.length).toBeGreaterThan(0);
    const hiddenExpected = loadExpected(convStepByStep.id, 'hidden').cases;
    for (const c of hidden) {
      expect(c.description).toBe('hidden check');
      expect(c.id).toMatch(/^convSingleStep\/hidden-\d+$/);
      expect(c.expected).toBeUndefined();
      expect([c.message, c.diagnosis]).toEqual([english(msg('check.hidden-failed')), undefined]);
      expect(c.hiddenDetail?.message).toBe('Some values are not the expected ones.');
    }
    // No hidden expected value, nor its rounded form, appears in any message.
    const messages = JSON.stringify(lab);
    for (const [key, value] of Object.entries(hiddenExpected)) {
      if (key.startsWith('convSingleStep/')) expect(messages).not.toContain(formatNumber(value.expected as number));
    }
  });
});

describe('typical mistakes are named', () => {
  test.each([
    ['convForward', 'stride ignored in the window corners', ['const vertStart = h * stride;\n          const horizStart = w * stride;\n          const aSlicePrev', 'const vertStart = h;\n          const horizStart = w;\n          const aSlicePrev'], 'window-not-strided'],
    ['poolForward', 'max and average swapped', ["const pooled = mode === 'max' ? tf.max(aPrevSlice) : tf.mean(aPrevSlice);", "const pooled = mode === 'max' ? tf.mean(aPrevSlice) : tf.max(aPrevSlice);"], 'mode-swapped'],
    ['distributeValue', 'dz not divided', ['const average = dz / (nH * nW);', 'const average = dz;'], 'not-divided'],
    ['zeroPad', 'all four axes padded', ['tf.pad(X, [[0, 0], [pad, pad], [pad, pad], [0, 0]])', 'tf.pad(X, [[pad, pad], [pad, pad], [pad, pad], [pad, pad]])'], 'all-axes-padded'],
    ['poolBackward', 'max mask from the unstrided window', ['tf.slice(APrev, [i, vertStart, horizStart, c], [1, f, f, 1]).reshape([f, f])', 'tf.slice(APrev, [i, h, w, c], [1, f, f, 1]).reshape([f, f])'], 'mask-window-not-strided'],
  ] as [string, string, [string, string], string][])('%s: %s', async (exercise, _what, replacement, mistake) => {
    const lab = await grade(makeSubmission({ [LAB_FILE]: referenceWith([replacement]) }));
    const ex = byId(lab)[exercise];
    // Cases where the mistake makes no difference (stride 1, a 1x1 matrix, pad 0) still pass.
    const failed = ex.checks.filter((c) => !c.passed);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.map((c) => diagnosed(c))).toEqual(failed.map(() => mistake));
  });
});

describe('containment', () => {
  test('an infinite loop times out that exercise only', async () => {
    const dir = makeSubmission({ [LAB_FILE]: referenceWith([['  const { stride, f } = hparameters;\n  const nH', '  while (Date.now() > 0) {}\n  const { stride, f } = hparameters;\n  const nH']]) });
    // Only the looping exercise gets a short limit: the others keep theirs, so a busy machine cannot push them over.
    const lab = await grade(dir, { perExercise: { poolForward: 2000 } });
    expectOnlyAffected(lab, ['poolForward']);
    const pool = byId(lab).poolForward;
    expect(pool.status).toBe('timeout');
    expect(pool.checks[0].message).toMatch(/did not finish within \d+\.\d s \(is there an infinite loop\?\)/);
    const later = pool.checks.slice(1);
    expect(later.filter((c) => c.public).every((c) => c.status === 'timeout' && c.message.includes('not run'))).toBe(true);
    expect(later.filter((c) => !c.public).every((c) => c.status === 'failed' && c.hiddenDetail?.status === 'timeout' && c.hiddenDetail.message.includes('not run'))).toBe(true);
  });

  test('process.exit in the middle of an exercise is an error for that exercise only', async () => {
    const dir = makeSubmission({ [LAB_FILE]: referenceWith([['  const mask = tf.tidy(() => tf.equal(x, tf.max(x)));', '  process.exit(0);\n  const mask = tf.tidy(() => tf.equal(x, tf.max(x)));']]) });
    const lab = await grade(dir);
    // poolBackward calls createMaskFromWindow in max mode, so its max cases die too; average cases pass.
    const ex = byId(lab);
    expect(ex.createMaskFromWindow.status).toBe('error');
    expect(ex.createMaskFromWindow.checks[0].message).toContain('exited with code 0');
    for (const id of ['zeroPad', 'convSingleStep', 'convForward', 'poolForward', 'convBackward', 'distributeValue']) expect(ex[id].status).toBe('passed');
    expect(ex.poolBackward.checks.filter((c) => c.passed).length).toBeGreaterThan(0);
  });

  test('a throw becomes a message pointing at the student\'s line', async () => {
    const dir = makeSubmission({ [LAB_FILE]: referenceWith([['  const [nH, nW] = shape;', "  const [nH, nW] = shape;\n  if (nH > 0) throw new RangeError('student bug');"]]) });
    const lab = await grade(dir);
    const check = byId(lab).distributeValue.checks[0];
    expect(check.status).toBe('error');
    expect(check.message).toMatch(/threw RangeError: student bug\n\s+at distributeValue \(conv-step-by-step\.ts:\d+:\d+\)/);
    const line = Number(/conv-step-by-step\.ts:(\d+)/.exec(check.message)![1]);
    expect(referenceWith([['  const [nH, nW] = shape;', "  const [nH, nW] = shape;\n  if (nH > 0) throw new RangeError('student bug');"]]).split('\n')[line - 1]).toContain("throw new RangeError('student bug')");
  });

  test('a syntax error is a clear lab error with file:line:column, and nothing else breaks', async () => {
    const lab = await grade(makeSubmission({ [LAB_FILE]: referenceWith([['const average = dz / (nH * nW);', 'const average = dz / (nH * nW;']]) }));
    expect(lab.status).toBe('error');
    expect(lab.message).toMatch(/could not be compiled:\nconv-step-by-step\.ts:\d+:\d+: Expected "\)"/);
    expect(lab.points).toBe(0);
    expect(lab.exercises.every((e) => e.status === 'error' && e.maxPoints > 0)).toBe(true);
  });

  test('a missing export is reported for that exercise only', async () => {
    const lab = await grade(makeSubmission({ [LAB_FILE]: referenceWith([['export function distributeValue(', 'function distributeValue(']]) }));
    const ex = byId(lab).distributeValue;
    expect(ex.status).toBe('missing');
    expect(ex.message).toBe('conv-step-by-step.ts does not export a function named distributeValue');
    expect(lab.points).toBe(48);
  });

  test('what the permission model leaves open is denied: builtins, bindings, signals, network, IPC', async () => {
    const fixture = path.join(projectRoot, 'fixtures/conv-step-by-step/hidden.expected.json');
    // Each attempt's error propagates, so the (public) check's message quotes it.
    const attempt = (code: string) => `String(${code})`;
    const sneaky = `const load = require;
export function zeroPad() { return ${attempt(`(process as any).getBuiltinModule('fs').readFileSync(${JSON.stringify(fixture)}, 'utf8')`)}; }
export function convSingleStep() { return ${attempt("(process as any).binding('fs')")}; }
export function convForward() { return ${attempt("(load as any)('node:fs')")}; }
export function poolForward() { return ${attempt('process.kill(process.ppid, 0)')}; }
export function convBackward() { return ${attempt("fetch('http://127.0.0.1:9/')")}; }
export function createMaskFromWindow() { return ${attempt("(process as any).send({ type: 'result', id: 1, value: 1 })")}; }
export function distributeValue() { return ${attempt('(process as any)._getActiveHandles().length')}; }
export function poolBackward() { return ${attempt('(process as any).availableMemory()')}; }`;
    const lab = await grade(makeSubmission({ [LAB_FILE]: sneaky }));
    const message = (id: string) => byId(lab)[id].checks[0].message;
    expect(message('zeroPad')).toContain('process.getBuiltinModule is not available to submissions');
    expect(message('convSingleStep')).toContain('process.binding is not available to submissions');
    expect(message('convForward')).toContain('Cannot import "node:fs": a submission may import only @tensorflow/tfjs');
    expect(message('poolForward')).toContain('process.kill is not available to submissions');
    expect(message('convBackward')).toContain('fetch is not available to submissions');
    // There is no IPC channel at all: the protocol runs on a pipe of labgrade's own.
    expect(message('createMaskFromWindow')).toContain('process.send is not a function');
    expect(message('distributeValue')).toContain('process._getActiveHandles is not available to submissions');
    // The machine's free memory changes with what other processes hold: a classmate's, or this submission's hidden one.
    expect(message('poolBackward')).toContain('process.availableMemory is not available to submissions');
    expect(lab.points).toBe(0);
  });

  test('a hidden check does not show an error message, name or stack the submission wrote (they could carry the inputs)', async () => {
    const leaky = referenceWith([['  const [nH, nW] = shape;', '  const [nH, nW] = shape;\n  throw new Error(`inputs were ${dz} and ${shape}`);']]);
    const lab = await grade(makeSubmission({ [LAB_FILE]: leaky }));
    const [publicCheck, ...rest] = byId(lab).distributeValue.checks;
    expect(publicCheck.message).toContain('inputs were 2 and 2,2');
    const hidden = rest.filter((c) => !c.public);
    expect(hidden.length).toBe(3);
    for (const c of hidden) {
      expect([c.status, c.message]).toEqual(['failed', english(msg('check.hidden-failed'))]);
      expect(c.hiddenDetail?.message).toBe('distributeValue threw an error (hidden checks do not show what a submission reports)');
    }
  });

  test('a hidden check\'s time is in no time a report shows (a submission could sleep for a time made of a hidden input)', async () => {
    // poolForward waits 2.5 s on the two hidden inputs of height 7 (no public input has one).
    const sleepy = referenceWith([['  const { stride, f } = hparameters;\n  const nH = Math.floor((nHPrev - f) / stride) + 1;', '  const { stride, f } = hparameters;\n  if (nHPrev === 7) for (const until = Date.now() + 2500; Date.now() < until; );\n  const nH = Math.floor((nHPrev - f) / stride) + 1;']]);
    const files = openSubmission(makeSubmission({ [LAB_FILE]: sleepy }));
    const started = performance.now();
    const result = await gradeSubmission(files, [convStepByStep], { checks: 'all', sandbox: SANDBOX });
    const wall = performance.now() - started;
    const [lab] = result.labs;
    expect(lab.points).toBe(50);
    // Whatever this machine's speed: the 5 s spent in hidden calls are in the wall time, not in the lab's or the result's time.
    expect(lab.durationMs).toBeLessThan(wall - 4900);
    expect(result.durationMs).toBeLessThan(wall - 4900);
    expect(byId(lab).poolForward.checks.filter((c) => !c.public).every((c) => c.durationMs === 0)).toBe(true);
  });

  test('functions written in another file of the submission are its code: the report shows them and a class run compares them', async () => {
    const reference = readFileSync(path.join(projectRoot, 'solutions', LAB_FILE), 'utf8');
    const lab = await gradeLab(convStepByStep, openSubmission(makeSubmission({ [LAB_FILE]: "export * from './helper';\n", 'helper.ts': reference.replace(/^.*### (START|END) CODE HERE ###.*$/gm, '') })), { checks: 'public', sandbox: SANDBOX });
    expect([lab.points, lab.maxPoints]).toEqual([50, 50]);
    const whole = extractStudentCode(reference.replace(/^.*### (START|END) CODE HERE ###.*$/gm, ''));
    for (const ex of lab.exercises) expect([ex.id, ex.code]).toEqual([ex.id, whole.get(ex.id)]);
  });

  test('importing labgrade\'s own files is refused', async () => {
    const lab = await grade(makeSubmission({ [LAB_FILE]: `export * from ${JSON.stringify(path.join(projectRoot, 'solutions/conv-step-by-step.ts'))};` }));
    expect(lab.status).toBe('error');
    expect(lab.message).toContain('is outside the submission folder');
    expect(lab.exercises.every((e) => e.checks.every((c) => c.status === 'skipped'))).toBe(true);
  });
});

describe('result contract', () => {
  test('result.json validates against the schema and grading is deterministic', async () => {
    const dir = path.join(projectRoot, 'examples/submissions/sample-report-mistakes');
    const first = await gradeSubmission(openSubmission(dir), [convStepByStep], { checks: 'all', sandbox: SANDBOX });
    const second = await gradeSubmission(openSubmission(dir), [convStepByStep], { checks: 'all', sandbox: SANDBOX });
    expect(() => validateResult(first, 'result')).not.toThrow();
    const stable = (r: unknown) => JSON.parse(JSON.stringify(r, (k, v) => (k === 'durationMs' || k === 'gradedAt' ? undefined : v)));
    expect(stable(second)).toEqual(stable(first));
    expect(first.student?.id).toBe('example-sample-report');
    expect(first.total).toEqual({ points: 39, maxPoints: 50 });
  });
});
