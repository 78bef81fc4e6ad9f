/**
 * Check and exercise results, each kind built in one place: a compared call, a judge's verdict, a
 * check that was not run, and the exercise that holds them (its points resolved by scoring.ts).
 */
import { compareValues, summarizeValue } from '../compare/compare-values.js';
import type { ExerciseDefinition, LabDefinition, Verdict } from './lab-definition.js';
import type { CheckResult, Diagnosis, ExerciseResult, MessageRef, TrainingMetrics } from '../contract/result.js';
import { english, hasMessage, msg } from '../i18n/messages.js';
import { exerciseStatus, scoreChecks, sumPoints, type UnscoredCheck } from './scoring.js';
import type { Value } from '../contract/values.js';
import type { ExpectedCase } from '../cases/expected.js';
import type { LoadedCase } from '../cases/load-cases.js';
import type { CallOutcome } from '../sandbox/session.js';
import type { LabContext } from './lab-context.js';
import { outcomeFailure } from './call-outcomes.js';

/** A check's message: the English text for result.json, and the ref a report renders in its language. */
export const said = (ref: MessageRef) => ({ message: english(ref), messageRef: ref });
export const described = (ref: MessageRef) => ({ description: english(ref), descriptionRef: ref });

/** What every check result says about its case; hidden cases do not describe their inputs. */
export function checkBase(loaded: LoadedCase, durationMs = 0) {
  const isPublic = loaded.fixture.visibility === 'public';
  return { id: loaded.checkId, public: isPublic, description: isPublic ? loaded.fixture.description : 'hidden check', durationMs: Math.round(durationMs), ...(loaded.fixture.edgeCase ? { edgeCase: true } : {}) };
}

/**
 * What a student sees of a hidden check: passed or not, in fixed words, and no time (unless the
 * options keep hidden times: the reference's own run). Whatever else a check could say is a choice
 * the submission makes, from the hidden input if it likes (throw or time out, return the wrong
 * shape or a typical mistake, tamper or not), so it goes into `hiddenDetail`, which only result.json
 * carries. A case not run for reasons outside the submission (no dataset, training skipped) says so.
 * Sealing a sealed check changes nothing.
 */
export function sealHidden(check: UnscoredCheck, options: { keepTime?: boolean; metrics?: TrainingMetrics } = {}): UnscoredCheck {
  if (check.public || check.status === 'skipped' || check.hiddenDetail) return check;
  const { status, message, messageRef, diagnosis, durationMs, ...rest } = check;
  const hiddenDetail = { status, message, ...(messageRef ? { messageRef } : {}), ...(diagnosis ? { diagnosis } : {}), ...(options.metrics ? { metrics: options.metrics } : {}) };
  return { ...rest, status: check.passed ? 'passed' : 'failed', ...said(msg(check.passed ? 'check.hidden-passed' : 'check.hidden-failed')), durationMs: options.keepTime ? durationMs : 0, hiddenDetail };
}

/** The exercise's result; `extra` may set its status and points where no check decides them (a function not there). */
export function exerciseResult(def: ExerciseDefinition, checks: CheckResult[], extra: Partial<ExerciseResult> = {}): ExerciseResult {
  // The exercise's points are the lab's to give, whether or not any check ran.
  return { id: def.id, title: def.title, graded: def.graded, status: exerciseStatus(checks), points: sumPoints(checks).points, maxPoints: def.points, checks, ...extra };
}

/** Checks that were not run (the function is missing, the file does not compile...), each with the reason. */
function notRun(def: ExerciseDefinition, ctx: LabContext, status: CheckResult['status'], message: MessageRef): CheckResult[] {
  return scoreChecks(
    def.points,
    ctx.cases.filter((c) => c.fixture.exercise === def.id).map((c) => ({ ...checkBase(c), status, passed: false, ...said(message) })),
  );
}

/** An exercise none of whose checks ran, and why. */
export function ungradedExercise(def: ExerciseDefinition, ctx: LabContext, status: ExerciseResult['status'], message: MessageRef, code?: string): ExerciseResult {
  const checks = notRun(def, ctx, 'skipped', msg('grading.not-run', { reason: message }));
  return exerciseResult(def, checks, { ...said(message), ...(code !== undefined ? { code } : {}), status, points: 0 });
}

function diagnose(actual: Value, expected: ExpectedCase, def: ExerciseDefinition, lab: LabDefinition): Diagnosis | undefined {
  const tolerance = def.tolerance ?? lab.tolerance;
  for (const mistake of def.mistakes) {
    const output = expected.mistakes[mistake.id];
    if (output === undefined) continue;
    if (compareValues(output, actual, { tolerance, outputNames: def.outputNames, reveal: true }) === null) {
      const ref = msg(`mistake.${lab.id}.${def.id}.${mistake.id}`);
      return { mistake: mistake.id, message: english(ref), messageRef: ref };
    }
  }
  return undefined;
}

/** The output's summary (and the expected one's), as English text and as refs. */
export function summaryFields(actual: Value, expected?: Value) {
  const actualRef = summarizeValue(actual);
  const expectedRef = expected === undefined ? undefined : summarizeValue(expected);
  return { actual: english(actualRef), actualRef, ...(expectedRef ? { expected: english(expectedRef), expectedRef } : {}) };
}

/** A public check from a judge's verdict (a file exercise's, or `labgrade evaluate`'s). */
export function verdictCheck(v: Verdict, id: string, durationMs: number): UnscoredCheck {
  return { id, public: true, ...described(v.description), status: v.passed ? 'passed' : 'failed', passed: v.passed, ...said(v.message), ...(v.diagnosis ? { diagnosis: v.diagnosis } : {}), durationMs };
}

/** A check that compares the call's output with the reference's. */
export function compareOutcome(outcome: CallOutcome, loaded: LoadedCase, def: ExerciseDefinition, lab: LabDefinition): UnscoredCheck {
  const base = checkBase(loaded, outcome.durationMs);
  const isPublic = base.public;
  if (outcome.kind !== 'value') {
    const status = outcome.kind === 'timeout' ? 'timeout' : 'error';
    return { ...base, status, passed: false, ...said(msg('check.call-failed', { fn: def.id, what: outcomeFailure(outcome, isPublic) })) };
  }
  const expected = loaded.expected;
  if (!expected) throw new Error(`${loaded.fixture.key} has no expected output, and ${def.id} has no judge of its own`);
  const mismatch = compareValues(expected.expected, outcome.value, {
    tolerance: def.tolerance ?? lab.tolerance,
    outputNames: def.outputNames,
    reveal: isPublic,
  });
  // Summaries of the output are the submission's numbers: public checks only.
  const summaries = isPublic ? summaryFields(outcome.value, expected.expected) : {};
  // Changing built-ins cannot fool the comparison (it happens here), but the student should know.
  const tamperNote = outcome.tampered ? (isPublic ? msg('check.tampered', { fn: def.id, what: outcome.tampered.join(', ') }) : msg('check.tampered-hidden', { fn: def.id })) : null;
  const noted = (ref: MessageRef) => said(tamperNote ? msg('check.with-note', { message: ref, note: tamperNote }) : ref);
  if (!mismatch) return { ...base, ...summaries, status: 'passed', passed: true, ...noted(msg('check.correct')) };
  const diagnosis = diagnose(outcome.value, expected, def, lab);
  if (!isPublic) return { ...base, status: 'failed', passed: false, ...noted(msg(`check.hidden-mismatch.${mismatch.kind}`)), ...(diagnosis ? { diagnosis } : {}) };
  // A diagnosis says more than the general hint; an unfilled function (null) needs neither.
  const hintId = `hint.${lab.id}.${def.id}`;
  const sentence = /[.?!]$/.test(mismatch.message) ? mismatch.ref : msg('check.sentence', { text: mismatch.ref });
  const withHint = !diagnosis && hasMessage(hintId) && !mismatch.message.includes('got null') ? msg('check.with-hint', { message: sentence, hint: msg(hintId) }) : sentence;
  return { ...base, ...summaries, status: 'failed', passed: false, ...noted(withHint), ...(diagnosis ? { diagnosis } : {}) };
}
