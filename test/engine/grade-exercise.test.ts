/**
 * The exercise phase on its own, with processes that start nothing: each case's outcome is scripted,
 * so what the phase makes of outcomes (points, diagnoses, hidden checks' words and times, a timeout
 * ending the exercise, a process that cannot start) is checked without a child process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { convStepByStep } from '../../graders/conv-step-by-step.js';
import { createLabContext, type LabContext } from '../../src/engine/lab-context.js';
import { finishExercise, runCases, startExercise } from '../../src/engine/grade-exercise.js';
import { hiddenPhase, publicPhase } from '../../src/engine/grade-lab.js';
import type { CallProcess, Ensured } from '../../src/engine/lab-process.js';
import type { ExerciseDefinition } from '../../src/engine/lab-definition.js';
import type { LoadedCase } from '../../src/cases/load-cases.js';
import type { CallOutcome } from '../../src/sandbox/session.js';
import type { CheckResult, Visibility } from '../../src/contract/result.js';
import { english, msg } from '../../src/i18n/messages.js';
import { openSubmission } from '../../src/engine/grade-submission.js';

type Script = (loaded: LoadedCase) => CallOutcome;

/** A process that answers the exercise's cases of one visibility in order, by `script`; `startFails`: it never starts. */
class ScriptedProcess implements CallProcess {
  readonly backend = 'scripted';
  calls = 0;
  constructor(
    private readonly cases: LoadedCase[],
    private readonly script: Script,
    private readonly startFails = false,
  ) {}

  async ensure(): Promise<Ensured> {
    if (this.startFails) return { failure: msg('outcome.crashed', { reason: 'no process here' }), short: msg('outcome.crashed', { reason: 'no process here' }) };
    return { session: { call: async () => this.script(this.cases[this.calls++]) } };
  }
}

const lab = convStepByStep;
const zeroPad = lab.exercises.find((e) => e.id === 'zeroPad')!;
const right: Script = (loaded) => ({ kind: 'value', value: loaded.expected!.expected, durationMs: 7 });
let dir: string;
let ctx: LabContext;

type Processes = Record<Visibility, ScriptedProcess>;

function processes(scripts: Partial<Record<Visibility, Script>>, startFails: Visibility[] = [], exercise = zeroPad.id): Processes {
  const of = (visibility: Visibility) => ctx.cases.filter((c) => c.fixture.exercise === exercise && c.fixture.visibility === visibility);
  return {
    public: new ScriptedProcess(of('public'), scripts.public ?? right, startFails.includes('public')),
    hidden: new ScriptedProcess(of('hidden'), scripts.hidden ?? right, startFails.includes('hidden')),
  };
}

/** One exercise through both phases, as grade-lab.ts runs them: its public cases, then its hidden ones. */
async function gradeExercise(def: ExerciseDefinition, ctx: LabContext, running: Processes) {
  const run = startExercise(def);
  await runCases(run, 'public', ctx, running.public);
  await runCases(run, 'hidden', ctx, running.hidden);
  return finishExercise(run, ctx);
}

/** What a student's reports may show of a check: everything but the instructor's detail. */
const studentView = ({ hiddenDetail, ...shown }: CheckResult) => shown;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'labgrade-phase-'));
  ctx = createLabContext(lab, openSubmission(dir), { checks: 'all', sandbox: 'node' });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the exercise phase', () => {
  test('right outputs pass every check for all the points, and hidden checks tell no time', async () => {
    const running = processes({});
    const result = await gradeExercise(zeroPad, ctx, running);
    expect(result.status).toBe('passed');
    expect(result.points).toBe(zeroPad.points);
    expect(result.checks.every((c) => c.passed)).toBe(true);
    expect(result.checks.filter((c) => c.public).map((c) => c.durationMs)).toEqual([7, 7, 7]);
    expect(result.checks.filter((c) => !c.public).every((c) => c.durationMs === 0)).toBe(true);
    expect(running.public.calls + running.hidden.calls).toBe(result.checks.length);
  });

  test("an output that is a typical mistake's gets its diagnosis; a hidden check shows neither output nor diagnosis, and keeps them for the instructor", async () => {
    const mistaken: Script = (loaded) => ({ kind: 'value', value: loaded.expected!.mistakes['one-side-only'] ?? loaded.expected!.expected, durationMs: 1 });
    const result = await gradeExercise(zeroPad, ctx, processes({ public: mistaken, hidden: mistaken }));
    const failed = result.checks.filter((c) => !c.passed);
    expect(failed.filter((c) => c.public).length).toBeGreaterThan(0);
    expect(failed.filter((c) => c.public).every((c) => c.diagnosis?.mistake === 'one-side-only' && c.actual !== undefined)).toBe(true);
    const hidden = failed.filter((c) => !c.public);
    expect(hidden.length).toBeGreaterThan(0);
    expect(hidden.every((c) => c.status === 'failed' && c.message === english(msg('check.hidden-failed')) && c.diagnosis === undefined && c.actual === undefined)).toBe(true);
    const fixedWords = ['shape', 'values'].map((kind) => english(msg(`check.hidden-mismatch.${kind}`)));
    expect(hidden.every((c) => c.hiddenDetail?.diagnosis?.mistake === 'one-side-only' && fixedWords.includes(c.hiddenDetail.message))).toBe(true);
    expect(result.points).toBeLessThan(zeroPad.points);
  });

  test('however a hidden check fails, a student reads the same: status, words, time', async () => {
    const failures: Script[] = [
      () => ({ kind: 'threw', error: { name: 'Error', message: 'bit 1' }, durationMs: 3 }),
      () => ({ kind: 'timeout', durationMs: 40, limitMs: 40 }),
      () => ({ kind: 'crashed', reason: 'out of memory', durationMs: 9 }),
      () => ({ kind: 'value', value: 7, durationMs: 1 }),
      (loaded) => ({ kind: 'value', value: loaded.expected!.mistakes['one-side-only'] ?? 7, durationMs: 2, tampered: ['Math.random'] }),
      () => ({ kind: 'stale', tampered: ['Array.prototype.map'], durationMs: 0 }),
    ];
    const seen = new Set<string>();
    const details = new Set<string>();
    for (const failure of failures) {
      ctx = createLabContext(lab, openSubmission(dir), { checks: 'all', sandbox: 'node' });
      const result = await gradeExercise(zeroPad, ctx, processes({ hidden: failure }));
      const firstHidden = result.checks.find((c) => !c.public)!;
      seen.add(JSON.stringify(studentView(firstHidden)));
      details.add(JSON.stringify(firstHidden.hiddenDetail));
      // The public checks pass, and the exercise's status says nothing a hidden failure chose.
      expect(result.checks.filter((c) => c.public).every((c) => c.passed)).toBe(true);
      expect(result.status).toBe('failed');
    }
    expect(seen.size).toBe(1);
    expect(details.size).toBe(failures.length);
  });

  test("after a public call times out, none of the exercise's later cases is called; a hidden timeout ends only the hidden ones", async () => {
    const running = processes({ public: () => ({ kind: 'timeout', durationMs: 50, limitMs: 50 }) });
    const result = await gradeExercise(zeroPad, ctx, running);
    expect(running.public.calls + running.hidden.calls).toBe(1);
    expect(result.checks[0].status).toBe('timeout');
    const earlier = english(msg('grading.earlier-timeout', { fn: 'zeroPad' }));
    expect(result.checks.slice(1).filter((c) => c.public).every((c) => c.status === 'timeout' && c.message === earlier)).toBe(true);
    expect(result.checks.filter((c) => !c.public).every((c) => c.status === 'failed' && c.hiddenDetail?.status === 'timeout' && c.hiddenDetail.message === earlier)).toBe(true);
    expect(result.points).toBe(0);

    ctx = createLabContext(lab, openSubmission(dir), { checks: 'all', sandbox: 'node' });
    const hiddenTimesOut = processes({ hidden: () => ({ kind: 'timeout', durationMs: 50, limitMs: 50 }) });
    const second = await gradeExercise(zeroPad, ctx, hiddenTimesOut);
    expect([hiddenTimesOut.public.calls, hiddenTimesOut.hidden.calls]).toEqual([second.checks.filter((c) => c.public).length, 1]);
    expect(second.checks.filter((c) => c.public).every((c) => c.passed)).toBe(true);
  });

  test("every public case runs before any hidden one, across the lab's exercises, and the hidden phase has the lab's time of its own", async () => {
    ctx = createLabContext(lab, openSubmission(dir), { checks: 'all', sandbox: 'node', timeouts: { labMs: 3000, exerciseMs: 60_000 } });
    const order: Visibility[] = [];
    const logged = (visibility: Visibility, script: Script = right): Script => (loaded) => {
      order.push(visibility);
      return script(loaded);
    };
    // The first public call uses up the lab's time: the public phase's later cases are not run.
    let slept = false;
    const sleepy: Script = (loaded) => {
      if (!slept) for (const until = performance.now() + 3100; performance.now() < until; );
      slept = true;
      return right(loaded);
    };
    const running = { public: new ScriptedProcess(ctx.cases.filter((c) => c.fixture.visibility === 'public'), logged('public', sleepy)), hidden: new ScriptedProcess(ctx.cases.filter((c) => c.fixture.visibility === 'hidden'), logged('hidden')) };
    const exports = Object.fromEntries(lab.exercises.map((e) => [e.id, 'function']));
    const exercises = await hiddenPhase(ctx, (await publicPhase(ctx, running.public, () => exports)).exercises, running.hidden);
    expect(order.indexOf('hidden')).toBe(order.lastIndexOf('public') + 1);
    const checks = exercises.flatMap((e) => e.checks);
    expect(checks.filter((c) => c.public && c.status === 'timeout').length).toBeGreaterThan(0);
    expect(checks.filter((c) => !c.public).every((c) => c.passed)).toBe(true);
  });

  test('a hidden process that cannot start fails the hidden checks only, and says why to the instructor only', async () => {
    const result = await gradeExercise(zeroPad, ctx, processes({}, ['hidden']));
    expect(result.checks.filter((c) => c.public).every((c) => c.passed)).toBe(true);
    const hidden = result.checks.filter((c) => !c.public);
    expect(hidden.length).toBeGreaterThan(0);
    expect(hidden.every((c) => c.status === 'failed' && c.hiddenDetail?.status === 'error' && c.hiddenDetail.message === english(msg('grading.restart-failed-hidden')))).toBe(true);
  });

  test('a function the module does not export is missing, and nothing is called', async () => {
    const running = processes({});
    const exercises = await hiddenPhase(ctx, (await publicPhase(ctx, running.public, () => ({ zeroPad: 'number' }))).exercises, running.hidden);
    expect(exercises.map((e) => e.status)).toEqual(lab.exercises.map(() => 'missing'));
    expect(exercises.find((e) => e.id === 'zeroPad')!.message).toBe(english(msg('grading.not-a-function', { fn: 'zeroPad', found: 'number' })));
    expect(running.public.calls + running.hidden.calls).toBe(0);
  });
});
