/**
 * Grades one lab file of a submission: bundles it, runs every fixture case in the submission's own
 * process, compares in this process, names typical mistakes, and scores. Whatever goes wrong in
 * the submission becomes a per-check status and message; the rest of the lab is still graded.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { compareValues, summarizeValue } from './compare.js';
import type { ExerciseDefinition, LabDefinition } from './lab-definition.js';
import type { CheckResult, Diagnosis, ExerciseResult, LabResult, Visibility } from './model.js';
import { exerciseStatus, scoreChecks, sumPoints, type UnscoredCheck } from './scoring.js';
import type { Value } from './values.js';
import { buildInputs, loadRecipes, resolveTemplate, type FixtureCase } from '../fixtures/recipes.js';
import { loadExpected, type ExpectedCase } from '../fixtures/expected.js';
import { BundleError, bundleSubmission } from '../sandbox/bundle.js';
import { SandboxSession, DEFAULT_LIMITS, type CallOutcome, type SandboxLimits, type SubmissionBundle } from '../sandbox/session.js';
import type { ThrownError } from '../sandbox/protocol.js';
import { extractStudentCode } from '../submission/student-code.js';

export interface GradeLabOptions {
  /** 'public' runs only the course's public cases (students' self-check). */
  checks: 'all' | 'public';
  limits?: SandboxLimits;
  /** Overrides the lab's own time limits (tests use short ones). */
  timeouts?: Partial<LabDefinition['timeouts']>;
}

interface LoadedCase {
  fixture: FixtureCase;
  expected: ExpectedCase;
  /** The id results show: the recipe's for public cases; an opaque "<exercise>/hidden-<n>" for hidden ones. */
  checkId: string;
}

/** Recipes and expected outputs, joined; a recipe without expected output is a harness error. */
export function loadCases(lab: LabDefinition, checks: 'all' | 'public'): LoadedCase[] {
  const visibilities: Visibility[] = checks === 'all' ? ['public', 'hidden'] : ['public'];
  return visibilities.flatMap((visibility) => {
    const expected = loadExpected(lab.id, visibility);
    const seen = new Map<string, number>();
    return loadRecipes(lab.id, visibility).map((fixture) => {
      const e = expected.cases[fixture.key];
      if (!e) throw new Error(`no expected output for ${lab.id} ${visibility} case ${fixture.key}: run \`labgrade fixtures generate\``);
      const n = (seen.get(fixture.exercise) ?? 0) + 1;
      seen.set(fixture.exercise, n);
      return { fixture, expected: e, checkId: visibility === 'public' ? fixture.key : `${fixture.exercise}/hidden-${n}` };
    });
  });
}

function unscoredExercise(def: ExerciseDefinition, status: ExerciseResult['status'], message: string, code?: string): ExerciseResult {
  return { id: def.id, title: def.title, graded: def.graded, status, message, points: 0, maxPoints: def.points, checks: [], code };
}

function labWithoutChecks(lab: LabDefinition, status: LabResult['status'], exerciseStatus: ExerciseResult['status'], message: string, started: number, source?: string): LabResult {
  const code = source ? extractStudentCode(source) : undefined;
  // The lab's message has the details (e.g. the compiler's output); each exercise gets its first line.
  const short = `not graded: ${message.split('\n')[0]}`;
  const exercises = lab.exercises.map((def) => unscoredExercise(def, exerciseStatus, short, code?.get(def.id)));
  return { id: lab.id, title: lab.title, file: lab.file, status, message, ...sumPoints(exercises), exercises, durationMs: Math.round(performance.now() - started) };
}

/** A lazily (re)started process: after a timeout or a crash, the next call gets a fresh one. */
class SessionHolder {
  private session: SandboxSession | null = null;
  exports: Record<string, string> = {};
  backend?: string;
  tfjsVersion?: string;

  constructor(
    private readonly bundle: SubmissionBundle,
    private readonly submissionDir: string,
    private readonly limits: SandboxLimits,
  ) {}

  /** The live session (starting one if needed), or why none could be started. */
  async ensure(): Promise<{ session: SandboxSession } | { failure: string }> {
    if (this.session?.alive) return { session: this.session };
    const started = await SandboxSession.start(this.bundle, this.submissionDir, 'cpu', this.limits);
    if (started.kind === 'load-failed') return { failure: `the file failed while loading: ${describeThrown(started.error)}` };
    if (started.kind === 'crashed') return { failure: started.reason };
    this.session = started.session;
    this.exports = started.exports;
    this.backend = started.backend;
    this.tfjsVersion = started.tfjsVersion;
    return { session: started.session };
  }

  close(): void {
    this.session?.close();
  }
}

function describeThrown(error: ThrownError): string {
  return `${error.name}: ${error.message}${error.stack ? `\n${error.stack}` : ''}`;
}

function describeOutcomeFailure(outcome: Exclude<CallOutcome, { kind: 'value' }>): string {
  switch (outcome.kind) {
    case 'threw':
      return `threw ${describeThrown(outcome.error)}`;
    case 'timeout':
      return `did not finish within ${(outcome.limitMs / 1000).toFixed(1)} s (is there an infinite loop?)`;
    case 'crashed':
      return outcome.reason;
  }
}

function diagnose(actual: Value, loaded: LoadedCase, def: ExerciseDefinition, lab: LabDefinition): Diagnosis | undefined {
  const tolerance = def.tolerance ?? lab.tolerance;
  for (const mistake of def.mistakes) {
    const output = loaded.expected.mistakes[mistake.id];
    if (output === undefined) continue;
    if (compareValues(output, actual, { tolerance, outputNames: def.outputNames, reveal: true }) === null) {
      return { mistake: mistake.id, message: mistake.message };
    }
  }
  return undefined;
}

/** What every check result says about its case; hidden cases do not describe their inputs. */
function checkBase(loaded: LoadedCase, durationMs = 0) {
  const isPublic = loaded.fixture.visibility === 'public';
  return { id: loaded.checkId, public: isPublic, description: isPublic ? loaded.fixture.description : 'hidden check', durationMs: Math.round(durationMs) };
}

function judge(outcome: CallOutcome, loaded: LoadedCase, def: ExerciseDefinition, lab: LabDefinition): UnscoredCheck {
  const base = checkBase(loaded, outcome.durationMs);
  const isPublic = base.public;
  if (outcome.kind !== 'value') {
    const status = outcome.kind === 'timeout' ? 'timeout' : 'error';
    return { ...base, status, passed: false, message: `${def.id} ${describeOutcomeFailure(outcome)}` };
  }
  const mismatch = compareValues(loaded.expected.expected, outcome.value, {
    tolerance: def.tolerance ?? lab.tolerance,
    outputNames: def.outputNames,
    reveal: isPublic,
  });
  const summaries = { actual: summarizeValue(outcome.value), ...(isPublic ? { expected: summarizeValue(loaded.expected.expected) } : {}) };
  if (!mismatch) return { ...base, ...summaries, status: 'passed', passed: true, message: 'The result is correct.' };
  const diagnosis = diagnose(outcome.value, loaded, def, lab);
  // A diagnosis says more than the general hint; an unfilled function (null) needs neither.
  const hint = !diagnosis && def.hint && !mismatch.message.includes('got null') ? ` Hint: ${def.hint}` : '';
  const sentence = /[.?!]$/.test(mismatch.message) ? mismatch.message : `${mismatch.message}.`;
  return { ...base, ...summaries, status: 'failed', passed: false, message: `${sentence}${hint}`, ...(diagnosis ? { diagnosis } : {}) };
}

export async function gradeLab(lab: LabDefinition, file: string, options: GradeLabOptions): Promise<LabResult> {
  const started = performance.now();
  if (!existsSync(file)) return labWithoutChecks(lab, 'missing', 'missing', `${lab.file} was not submitted`, started);
  const source = readFileSync(file, 'utf8');
  const cases = loadCases(lab, options.checks);
  let bundle: SubmissionBundle;
  try {
    bundle = await bundleSubmission(file);
  } catch (err) {
    if (!(err instanceof BundleError)) throw err;
    return labWithoutChecks(lab, 'error', 'error', `${lab.file} could not be compiled:\n${err.message}`, started, source);
  }
  const timeouts = { ...lab.timeouts, ...options.timeouts };
  const holder = new SessionHolder(bundle, path.dirname(file), options.limits ?? DEFAULT_LIMITS);
  const studentCode = extractStudentCode(source);
  try {
    const first = await holder.ensure();
    if ('failure' in first) return labWithoutChecks(lab, 'error', 'error', first.failure, started, source);
    const labDeadline = started + timeouts.labMs;
    const exercises: ExerciseResult[] = [];
    for (const def of lab.exercises) {
      const exerciseCases = cases.filter((c) => c.fixture.exercise === def.id);
      const code = studentCode.get(def.id);
      if (holder.exports[def.id] !== 'function') {
        const found = holder.exports[def.id];
        const message = found === undefined ? `${lab.file} does not export a function named ${def.id}` : `${def.id} is exported but is ${found === 'undefined' ? 'undefined' : `a ${found}`}, not a function`;
        exercises.push(unscoredExercise(def, 'missing', message, code));
        continue;
      }
      exercises.push(await gradeExercise(def, exerciseCases, holder, lab, timeouts.exerciseMs, labDeadline, code));
    }
    return {
      id: lab.id,
      title: lab.title,
      file: lab.file,
      status: 'graded',
      ...sumPoints(exercises),
      exercises,
      durationMs: Math.round(performance.now() - started),
      backend: holder.backend,
      tfjsVersion: holder.tfjsVersion,
    };
  } finally {
    holder.close();
  }
}

async function gradeExercise(
  def: ExerciseDefinition,
  cases: LoadedCase[],
  holder: SessionHolder,
  lab: LabDefinition,
  exerciseMs: number,
  labDeadline: number,
  code: string | undefined,
): Promise<ExerciseResult> {
  const exerciseDeadline = performance.now() + exerciseMs;
  const checks: UnscoredCheck[] = [];
  let timedOut = false;
  for (const loaded of cases) {
    const base = { ...checkBase(loaded), passed: false };
    const remaining = Math.min(exerciseDeadline, labDeadline) - performance.now();
    if (timedOut || remaining <= 0) {
      const why = timedOut ? `not run: an earlier check of ${def.id} timed out` : `not run: the time limit for ${labDeadline <= exerciseDeadline ? 'the lab' : def.id} was used up`;
      checks.push({ ...base, status: 'timeout', message: why });
      continue;
    }
    const ready = await holder.ensure();
    if ('failure' in ready) {
      checks.push({ ...base, status: 'error', message: `could not restart the submission's process: ${ready.failure}` });
      continue;
    }
    const bindings = buildInputs(loaded.fixture);
    for (const [name, value] of Object.entries(loaded.expected.derived)) bindings.set(name, value);
    const args = resolveTemplate(loaded.fixture.args, bindings, loaded.fixture.key) as Value[];
    const outcome = await ready.session.call(def.id, args, Math.max(1, Math.round(remaining)));
    if (outcome.kind === 'timeout') timedOut = true;
    checks.push(judge(outcome, loaded, def, lab));
  }
  const scored: CheckResult[] = scoreChecks(def.points, checks);
  return { id: def.id, title: def.title, graded: def.graded, status: exerciseStatus(scored), ...sumPoints(scored), checks: scored, code };
}
