/**
 * One exercise's checks. A function exercise's cases are called in the lab's processes, public
 * cases in one phase and hidden ones in another, and compared (or judged) here; a file exercise (a
 * trained model) is judged as data in an evaluator of its own.
 */
import type { ExerciseDefinition } from './lab-definition.js';
import type { CheckResult, ExerciseResult, MessageRef, TrainingMetrics, Visibility } from '../contract/result.js';
import { english, msg } from '../i18n/messages.js';
import { scoreChecks, type UnscoredCheck } from './scoring.js';
import type { Value } from '../contract/values.js';
import { buildInputs, resolveTemplate } from '../cases/recipes.js';
import type { LoadedCase } from '../cases/load-cases.js';
import type { CallOutcome } from '../sandbox/session.js';
import { withDatasetKeys } from '../data/dataset-tensors.js';
import { caseDeadline, exerciseLimit, labTimeLeft, skipReason, type LabContext } from './lab-context.js';
import type { CallProcess } from './lab-process.js';
import { checkBase, compareOutcome, described, exerciseResult, said, sealHidden, summaryFields, verdictCheck } from './check-results.js';

/** Checks of one call that its exercise judges itself; a failed call is one failed check. A hidden case's metrics go into its sealed checks, for the instructor only. */
async function judgeCustom(def: ExerciseDefinition, outcome: CallOutcome, args: readonly unknown[], loaded: LoadedCase, ctx: LabContext, backend: string | undefined): Promise<{ checks: UnscoredCheck[]; metrics?: TrainingMetrics }> {
  const base = checkBase(loaded, outcome.durationMs);
  if (outcome.kind !== 'value') return { checks: [compareOutcome(outcome, loaded, def, ctx.lab)] };
  const verdicts = await def.judge!(outcome.value, {
    args,
    expected: loaded.expected?.expected,
    dataDir: ctx.dataProblem() ? undefined : ctx.options.dataDir,
    backend,
    durationMs: outcome.durationMs,
    reveal: base.public,
  });
  const checks = verdicts.map((v): UnscoredCheck => {
    const check: UnscoredCheck = {
      ...base,
      id: `${base.id}:${v.idSuffix}`,
      ...(base.public ? described(v.description) : { description: base.description }),
      status: v.passed ? 'passed' : 'failed',
      passed: v.passed,
      // A judge's words may describe the hidden case's inputs or expected values.
      ...said(base.public ? v.message : (v.hiddenMessage ?? msg(v.passed ? 'check.right' : 'check.not-right'))),
      ...(base.public ? summaryFields(outcome.value) : {}),
      ...(v.diagnosis ? { diagnosis: v.diagnosis } : {}),
    };
    return base.public ? check : sealHidden(check, { keepTime: ctx.options.hiddenTimings, metrics: v.metrics });
  });
  return { checks, ...(base.public ? { metrics: verdicts.find((v) => v.metrics)?.metrics } : {}) };
}

/**
 * A function exercise between its phases: the checks so far, and each visibility's time spent and
 * whether one of its calls timed out. Public and hidden cases have clocks of their own
 * (lab-context.ts, caseDeadline), and all of a submission's public cases run before any hidden
 * one (grade-lab.ts), so nothing a hidden case does can change what a public check says.
 */
export interface ExerciseRun {
  def: ExerciseDefinition;
  checks: UnscoredCheck[];
  metrics?: TrainingMetrics;
  spent: Record<Visibility, number>;
  timedOut: Record<Visibility, boolean>;
}

export const startExercise = (def: ExerciseDefinition): ExerciseRun => ({ def, checks: [], spent: { public: 0, hidden: 0 }, timedOut: { public: false, hidden: false } });

/** The exercise's cases of one visibility, called in `process`, within that visibility's share of the exercise's and the lab's time. A public timeout ends the exercise; a hidden one ends its hidden cases. */
export async function runCases(run: ExerciseRun, visibility: Visibility, ctx: LabContext, process: CallProcess): Promise<void> {
  const { def } = run;
  const exerciseMs = exerciseLimit(def, ctx.timeouts);
  for (const loaded of ctx.cases.filter((c) => c.fixture.exercise === def.id && c.fixture.visibility === visibility)) {
    const caseStarted = performance.now();
    const { deadline, labBound } = caseDeadline(ctx, visibility, exerciseMs - run.spent[visibility], caseStarted);
    const outOfTime = () => said(labBound ? msg('grading.lab-time-used') : msg('grading.exercise-time-used', { fn: def.id }));
    try {
      const base = { ...checkBase(loaded), passed: false };
      const skipped = skipReason(loaded, ctx);
      if (skipped) {
        run.checks.push({ ...base, status: 'skipped', ...said(skipped) });
        continue;
      }
      const cutShort = run.timedOut.public || run.timedOut[visibility];
      if (cutShort || deadline <= performance.now()) {
        run.checks.push({ ...base, status: 'timeout', ...(cutShort ? said(msg('grading.earlier-timeout', { fn: def.id })) : outOfTime()) });
        continue;
      }
      // A restart after a crash spends the same time budget as the calls.
      const ready = await process.ensure(deadline - performance.now());
      if ('failure' in ready) {
        const status = deadline <= performance.now() ? 'timeout' : 'error';
        run.checks.push({ ...base, status, ...said(visibility === 'public' ? msg('grading.restart-failed', { reason: ready.failure }) : msg('grading.restart-failed-hidden')) });
        continue;
      }
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        run.checks.push({ ...base, status: 'timeout', ...outOfTime() });
        continue;
      }
      const bindings = buildInputs(loaded.fixture);
      for (const [name, value] of Object.entries(loaded.expected?.derived ?? {})) bindings.set(name, value);
      // Dataset references pass through: the child fills them in from the datasets it was sent.
      const args = resolveTemplate(loaded.fixture.args, bindings, loaded.fixture.key) as Value[];
      const sent = withDatasetKeys(args) as Value[];
      let outcome = await ready.session.call(def.id, sent, Math.max(1, Math.round(remaining)), loaded.fixture.shuffleFrom);
      if (outcome.kind === 'stale') {
        // An earlier call left something behind (a timer that patches built-ins): run this one afresh, once.
        const fresh = await process.ensure(deadline - performance.now());
        outcome = 'failure' in fresh ? { kind: 'crashed', reason: english(fresh.failure), reasonRef: fresh.failure, durationMs: 0 } : await fresh.session.call(def.id, sent, Math.max(1, Math.round(deadline - performance.now())), loaded.fixture.shuffleFrom);
      }
      if (outcome.kind === 'timeout') run.timedOut[visibility] = true;
      if (loaded.fixture.judge) {
        if (!def.judge) throw new Error(`${loaded.fixture.key} asks for ${def.id}'s judge, which it does not have`);
        const judged = await judgeCustom(def, outcome, args, loaded, ctx, process.backend);
        run.checks.push(...judged.checks);
        run.metrics ??= judged.metrics;
      } else {
        run.checks.push(compareOutcome(outcome, loaded, def, ctx.lab));
      }
    } finally {
      const took = performance.now() - caseStarted;
      run.spent[visibility] += took;
      if (visibility === 'hidden') ctx.hiddenMs += took;
    }
  }
}

/** The exercise's result once both phases ran: hidden checks sealed, points resolved. */
export function finishExercise(run: ExerciseRun, ctx: LabContext): ExerciseResult {
  const code = ctx.code.get(run.def.id);
  const sealed = run.checks.map((c) => sealHidden(c, { keepTime: ctx.options.hiddenTimings }));
  return exerciseResult(run.def, scoreChecks(run.def.points, sealed), { ...(code !== undefined ? { code } : {}), ...(run.metrics ? { metrics: run.metrics } : {}) });
}

/** A file exercise (a trained model): judged as data in an evaluator; its checks are the verdicts. `incomplete`: labgrade could not judge it this time. */
export async function gradeFiles(def: ExerciseDefinition, ctx: LabContext): Promise<{ result: ExerciseResult; incomplete: boolean }> {
  const started = performance.now();
  const dataProblem = ctx.dataProblem();
  const single = (status: CheckResult['status'], message: MessageRef) => scoreChecks(def.points, [{ id: `${def.id}/${status === 'skipped' ? 'data' : 'evaluation'}`, public: true, description: def.title, status, passed: false, ...said(message), durationMs: 0 }]);
  if (dataProblem || !ctx.options.dataDir) {
    const message = msg('grading.no-dataset', { reason: dataProblem ?? 'no datasets folder was given' });
    return { result: exerciseResult(def, single('skipped', message), { status: 'skipped', ...said(message) }), incomplete: false };
  }
  const assessment = await def.assessFiles!({
    files: ctx.files,
    dataDir: ctx.options.dataDir,
    holdoutDir: ctx.options.holdoutDir,
    run: { sandbox: ctx.options.sandbox, backend: ctx.options.backend ?? 'auto', wasmThreads: ctx.options.wasmThreads },
    timeoutMs: Math.max(1, Math.min(exerciseLimit(def, ctx.timeouts), labTimeLeft(ctx, 'public'))),
  });
  if ('missing' in assessment) return { result: exerciseResult(def, [], { status: 'missing', ...said(assessment.missing), points: 0 }), incomplete: false };
  if ('incomplete' in assessment) {
    const message = msg('grading.incomplete', { reason: assessment.incomplete });
    return { result: exerciseResult(def, single('error', message), said(message)), incomplete: true };
  }
  const durationMs = Math.round(performance.now() - started);
  const checks = scoreChecks(
    def.points,
    assessment.verdicts.map((v) => verdictCheck(v, `${def.id}/${v.idSuffix}`, durationMs)),
  );
  const metrics = assessment.verdicts.find((v) => v.metrics)?.metrics;
  return { result: exerciseResult(def, checks, { ...(metrics ? { metrics } : {}), ...(assessment.scores ? { scores: assessment.scores } : {}) }), incomplete: false };
}
