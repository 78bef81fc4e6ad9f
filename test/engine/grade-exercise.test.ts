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
import { gradeExercise } from '../../src/engine/grade-exercise.js';
import { gradeExercises } from '../../src/engine/grade-lab.js';
import type { CallProcess, Ensured, LabProcesses } from '../../src/engine/lab-process.js';
import type { LoadedCase } from '../../src/cases/load-cases.js';
import type { CallOutcome } from '../../src/sandbox/session.js';
import type { Visibility } from '../../src/contract/result.js';
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

function processes(scripts: Partial<Record<Visibility, Script>>, startFails: Visibility[] = []): LabProcesses & Record<Visibility, ScriptedProcess> {
  const of = (visibility: Visibility) => ctx.cases.filter((c) => c.fixture.exercise === zeroPad.id && c.fixture.visibility === visibility);
  return {
    public: new ScriptedProcess(of('public'), scripts.public ?? right, startFails.includes('public')),
    hidden: new ScriptedProcess(of('hidden'), scripts.hidden ?? right, startFails.includes('hidden')),
  };
}

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

  test("an output that is a typical mistake's gets its diagnosis; a hidden check shows no output", async () => {
    const mistaken: Script = (loaded) => ({ kind: 'value', value: loaded.expected!.mistakes['one-side-only'] ?? loaded.expected!.expected, durationMs: 1 });
    const result = await gradeExercise(zeroPad, ctx, processes({ public: mistaken, hidden: mistaken }));
    const failed = result.checks.filter((c) => !c.passed);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((c) => c.diagnosis?.mistake === 'one-side-only')).toBe(true);
    expect(failed.filter((c) => c.public).every((c) => c.actual !== undefined)).toBe(true);
    const fixedWords = ['shape', 'values'].map((kind) => english(msg(`check.hidden-mismatch.${kind}`)));
    expect(failed.filter((c) => !c.public).every((c) => c.actual === undefined && fixedWords.includes(c.message))).toBe(true);
    expect(result.points).toBeLessThan(zeroPad.points);
  });

  test("after a call times out, none of the exercise's later cases is called", async () => {
    const running = processes({ public: () => ({ kind: 'timeout', durationMs: 50, limitMs: 50 }) });
    const result = await gradeExercise(zeroPad, ctx, running);
    expect(running.public.calls + running.hidden.calls).toBe(1);
    expect(result.checks[0].status).toBe('timeout');
    expect(result.checks.slice(1).every((c) => c.status === 'timeout' && c.message === english(msg('grading.earlier-timeout', { fn: 'zeroPad' })))).toBe(true);
    expect(result.points).toBe(0);
  });

  test('a hidden process that cannot start fails the hidden checks only, in fixed words', async () => {
    const result = await gradeExercise(zeroPad, ctx, processes({}, ['hidden']));
    expect(result.checks.filter((c) => c.public).every((c) => c.passed)).toBe(true);
    const hidden = result.checks.filter((c) => !c.public);
    expect(hidden.length).toBeGreaterThan(0);
    expect(hidden.every((c) => c.status === 'error' && c.message === english(msg('grading.restart-failed-hidden')))).toBe(true);
  });

  test('a function the module does not export is missing, and nothing is called', async () => {
    const running = processes({});
    const { exercises } = await gradeExercises(ctx, running, () => ({ zeroPad: 'number' }));
    expect(exercises.map((e) => e.status)).toEqual(lab.exercises.map(() => 'missing'));
    expect(exercises.find((e) => e.id === 'zeroPad')!.message).toBe(english(msg('grading.not-a-function', { fn: 'zeroPad', found: 'number' })));
    expect(running.public.calls + running.hidden.calls).toBe(0);
  });
});
