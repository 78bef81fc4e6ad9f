/**
 * Grades one lab file of a submission: bundles it, runs every fixture case in the submission's own
 * process, compares in this process, names typical mistakes, and scores. Whatever goes wrong in
 * the submission becomes a per-check status and message; the rest of the lab is still graded.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { compareValues, summarizeValue } from './compare.js';
import type { ExerciseDefinition, LabDefinition } from './lab-definition.js';
import type { CheckResult, Diagnosis, ExerciseResult, LabResult, TrainingMetrics, Visibility } from './model.js';
import { exerciseStatus, scoreChecks, sumPoints, type UnscoredCheck } from './scoring.js';
import type { Value } from './values.js';
import { buildInputs, loadRecipes, recipeFilePath, resolveTemplate, type FixtureCase } from '../fixtures/recipes.js';
import { UsageError } from '../errors.js';
import { loadExpected, type ExpectedCase } from '../fixtures/expected.js';
import { BundleError, bundleSubmission } from '../sandbox/bundle.js';
import { SandboxSession, DEFAULT_LIMITS, type CallOutcome, type SandboxLimits, type SessionOptions, type SubmissionBundle } from '../sandbox/session.js';
import type { ThrownError } from '../sandbox/protocol.js';
import { extractStudentCode } from '../submission/student-code.js';
import type { BackendChoice } from '../backends/backends.js';
import { datasetRefsIn } from '../data/dataset-tensors.js';
import { cachedSigns } from '../data/signs.js';

export interface GradeLabOptions {
  /** 'public' runs only the course's public cases (students' self-check). */
  checks: 'all' | 'public';
  limits?: SandboxLimits;
  /** Overrides the lab's own time limits (tests use short ones). */
  timeouts?: Partial<LabDefinition['timeouts']>;
  /** The tfjs backend for submissions' processes (default auto). */
  backend?: BackendChoice;
  /** The datasets folder (holding signs/), for checks that train or evaluate on real data. */
  dataDir?: string;
  /** Skips training checks (they are reported as skipped and score nothing). */
  skipTraining?: boolean;
  /** Threads for the wasm backend in submissions' processes (default: this machine's cores). */
  wasmThreads?: number;
}

interface LoadedCase {
  fixture: FixtureCase;
  /** Absent where the reference is not run ahead (the exercise's judge decides). */
  expected?: ExpectedCase;
  /** Datasets its arguments name. */
  datasets: string[];
  /** The id results show: the recipe's for public cases; an opaque "<exercise>/hidden-<n>" for hidden ones. */
  checkId: string;
}

/** Recipes and expected outputs, joined; a recipe without expected output is a harness error. */
export function loadCases(lab: LabDefinition, checks: 'all' | 'public'): LoadedCase[] {
  const visibilities: Visibility[] = checks === 'all' ? ['public', 'hidden'] : ['public'];
  return visibilities.flatMap((visibility) => {
    if (!existsSync(recipeFilePath(lab.id, visibility))) {
      throw new UsageError(`this labgrade has no ${visibility} checks for ${lab.id} (a student kit has only the public ones): use \`labgrade check\`, or grade with --public-only`);
    }
    const expected = loadExpected(lab.id, visibility);
    const seen = new Map<string, number>();
    return loadRecipes(lab.id, visibility).map((fixture) => {
      const e = expected.cases[fixture.key];
      if (!e && fixture.runReference !== false) throw new Error(`no expected output for ${lab.id} ${visibility} case ${fixture.key}: run \`labgrade fixtures generate\``);
      const n = (seen.get(fixture.exercise) ?? 0) + 1;
      seen.set(fixture.exercise, n);
      const checkId = visibility === 'public' ? fixture.key : `${fixture.exercise}/hidden-${n}`;
      return { fixture, expected: e, datasets: datasetRefsIn(fixture.args), checkId };
    });
  });
}

/** Checks that were not run (the function is missing, the file does not compile...), each with the reason. */
function notRun(def: ExerciseDefinition, cases: LoadedCase[], message: string): CheckResult[] {
  return scoreChecks(
    def.points,
    cases.filter((c) => c.fixture.exercise === def.id).map((c) => ({ ...checkBase(c), status: 'skipped', passed: false, message })),
  );
}

function ungradedExercise(def: ExerciseDefinition, cases: LoadedCase[], status: ExerciseResult['status'], message: string, code?: string): ExerciseResult {
  return { id: def.id, title: def.title, graded: def.graded, status, message, points: 0, maxPoints: def.points, checks: notRun(def, cases, `not run: ${message}`), code };
}

function ungradedLab(lab: LabDefinition, cases: LoadedCase[], status: LabResult['status'], message: string, started: number, source?: string): LabResult {
  const code = source ? extractStudentCode(source) : undefined;
  // The lab's message has the details (e.g. the compiler's output); each exercise gets its first line.
  const short = message.split('\n')[0];
  const exerciseStatus = status === 'missing' ? 'missing' : 'error';
  const exercises = lab.exercises.map((def) => ungradedExercise(def, cases, exerciseStatus, short, code?.get(def.id)));
  return { id: lab.id, title: lab.title, file: lab.file, status, message, ...sumPoints(exercises), exercises, durationMs: Math.round(performance.now() - started) };
}

/** A lazily (re)started process: after a timeout or a crash, the next call gets a fresh one. */
class SessionHolder {
  private session: SandboxSession | null = null;
  exports: Record<string, string> = {};
  backend?: string;
  device?: string;
  tfjsVersion?: string;

  constructor(
    private readonly bundle: SubmissionBundle,
    private readonly submissionDir: string,
    private readonly limits: SandboxLimits,
    private readonly sessionOptions: SessionOptions,
  ) {}

  /** The live session (starting one within `budgetMs` if needed), or why none could be started. */
  async ensure(budgetMs = Infinity): Promise<{ session: SandboxSession } | { failure: string }> {
    if (this.session?.alive) return { session: this.session };
    const limits = { ...this.limits, startupTimeoutMs: Math.max(1, Math.min(this.limits.startupTimeoutMs, Math.round(budgetMs))) };
    const started = await SandboxSession.start(this.bundle, this.submissionDir, this.sessionOptions, limits);
    if (started.kind === 'load-failed') return { failure: `the file failed while loading: ${describeThrown(started.error)}` };
    // Loading runs no fixture, so what the process printed may be shown.
    if (started.kind === 'crashed') return { failure: started.detail ? `${started.reason}: ${started.detail}` : started.reason };
    this.session = started.session;
    this.exports = started.exports;
    this.backend = started.backend;
    this.device = started.device;
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

/**
 * What went wrong in a call, in words. A hidden check shows no text the submission controls (an
 * error's message, what it printed): that text could carry the hidden inputs out.
 */
export function describeOutcomeFailure(outcome: Exclude<CallOutcome, { kind: 'value' }>, reveal: boolean): string {
  switch (outcome.kind) {
    case 'threw':
      if (reveal) return `threw ${describeThrown(outcome.error)}`;
      return `threw ${outcome.error.name} (messages are not shown for hidden checks)${outcome.error.stack ? `\n${outcome.error.stack}` : ''}`;
    case 'timeout':
      return `did not finish within ${(outcome.limitMs / 1000).toFixed(1)} s (is there an infinite loop?)`;
    case 'crashed':
      return reveal && outcome.detail ? `${outcome.reason}: ${outcome.detail}` : outcome.reason;
    case 'stale':
      return `could not run: the submission keeps changing ${outcome.tampered.join(', ')} between calls`;
    case 'trained':
      return 'answered a function call with a trained model';
  }
}

function diagnose(actual: Value, expected: ExpectedCase, def: ExerciseDefinition, lab: LabDefinition): Diagnosis | undefined {
  const tolerance = def.tolerance ?? lab.tolerance;
  for (const mistake of def.mistakes) {
    const output = expected.mistakes[mistake.id];
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

/** A check that compares the call's output with the reference's. */
function compareOutcome(outcome: CallOutcome, loaded: LoadedCase, def: ExerciseDefinition, lab: LabDefinition): UnscoredCheck {
  const base = checkBase(loaded, outcome.durationMs);
  const isPublic = base.public;
  if (outcome.kind !== 'value') {
    const status = outcome.kind === 'timeout' ? 'timeout' : 'error';
    return { ...base, status, passed: false, message: `${def.id} ${describeOutcomeFailure(outcome, isPublic)}` };
  }
  const expected = loaded.expected;
  if (!expected) throw new Error(`${loaded.fixture.key} has no expected output, and ${def.id} has no judge of its own`);
  const mismatch = compareValues(expected.expected, outcome.value, {
    tolerance: def.tolerance ?? lab.tolerance,
    outputNames: def.outputNames,
    reveal: isPublic,
  });
  const summaries = { actual: summarizeValue(outcome.value), ...(isPublic ? { expected: summarizeValue(expected.expected) } : {}) };
  // Changing built-ins cannot fool the comparison (it happens here), but the student should know.
  const tamperNote = outcome.tampered ? ` (${def.id} changed ${outcome.tampered.join(', ')}; later checks ran in a fresh process.)` : '';
  if (!mismatch) return { ...base, ...summaries, status: 'passed', passed: true, message: `The result is correct.${tamperNote}` };
  const diagnosis = diagnose(outcome.value, expected, def, lab);
  // A diagnosis says more than the general hint; an unfilled function (null) needs neither.
  const hint = !diagnosis && def.hint && !mismatch.message.includes('got null') ? ` Hint: ${def.hint}` : '';
  const sentence = /[.?!]$/.test(mismatch.message) ? mismatch.message : `${mismatch.message}.`;
  return { ...base, ...summaries, status: 'failed', passed: false, message: `${sentence}${hint}${tamperNote}`, ...(diagnosis ? { diagnosis } : {}) };
}

export async function gradeLab(lab: LabDefinition, file: string, options: GradeLabOptions): Promise<LabResult> {
  const started = performance.now();
  const cases = loadCases(lab, options.checks);
  const needsData = cases.some((c) => c.datasets.length > 0) || lab.exercises.some((e) => e.assessFiles);
  // Read (and checked) only when something needs the data: a lab file that is not there needs none.
  let checkedData: { problem: string | null } | undefined;
  const dataProblem = () => (checkedData ??= { problem: needsData ? datasetProblem(options.dataDir) : null }).problem;
  // File exercises (a trained model) do not depend on the code: they are judged even when it cannot run.
  const ungraded = async (status: LabResult['status'], message: string, source?: string): Promise<LabResult> => {
    const result = ungradedLab(lab, cases, status, message, started, source);
    const exercises = await Promise.all(
      lab.exercises.map((def, i) => (def.assessFiles ? gradeFiles(def, def.assessFiles, path.dirname(file), dataProblem(), options.dataDir) : result.exercises[i])),
    );
    return { ...result, ...sumPoints(exercises), exercises, durationMs: Math.round(performance.now() - started) };
  };
  if (!existsSync(file)) return ungraded('missing', `${lab.file} was not submitted`);
  const source = readFileSync(file, 'utf8');
  let bundle: SubmissionBundle;
  try {
    bundle = await bundleSubmission(file);
  } catch (err) {
    if (!(err instanceof BundleError)) throw err;
    return ungraded('error', `${lab.file} could not be compiled:\n${err.message}`, source);
  }
  const timeouts = { ...lab.timeouts, ...options.timeouts };
  // Only calls with dataset arguments need the child to read the data; file exercises are judged here.
  const callsNeedData = cases.some((c) => c.datasets.length > 0);
  // Threads pay off for calls on real data (training, evaluating); starting the threaded wasm
  // build's pool costs about 0.25 s, more than a lab of function checks gains from it.
  const sessionOptions: SessionOptions = {
    backend: options.backend ?? 'auto',
    dataDir: callsNeedData && !dataProblem() ? options.dataDir : undefined,
    wasmThreads: callsNeedData ? options.wasmThreads : 1,
  };
  const holder = new SessionHolder(bundle, path.dirname(file), options.limits ?? DEFAULT_LIMITS, sessionOptions);
  const studentCode = extractStudentCode(source);
  try {
    const labDeadline = started + timeouts.labMs;
    const first = await holder.ensure(labDeadline - performance.now());
    if ('failure' in first) return await ungraded('error', first.failure, source);
    const exercises: ExerciseResult[] = [];
    for (const def of lab.exercises) {
      if (def.assessFiles) {
        exercises.push(await gradeFiles(def, def.assessFiles, path.dirname(file), dataProblem(), options.dataDir));
        continue;
      }
      const exerciseCases = cases.filter((c) => c.fixture.exercise === def.id);
      const code = studentCode.get(def.id);
      if (holder.exports[def.id] !== 'function') {
        const found = holder.exports[def.id];
        const message = found === undefined ? `${lab.file} does not export a function named ${def.id}` : `${def.id} is exported but is ${found === 'undefined' ? 'undefined' : `a ${found}`}, not a function`;
        exercises.push(ungradedExercise(def, cases, 'missing', message, code));
        continue;
      }
      const context: ExerciseContext = { holder, lab, exerciseMs: def.timeoutMs ?? timeouts.exerciseMs, labDeadline, dataProblem: dataProblem(), options };
      exercises.push(await gradeExercise(def, exerciseCases, context, code));
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
      device: holder.device,
      tfjsVersion: holder.tfjsVersion,
      ...(lab.optional ? { optional: true } : {}),
      ...((options.skipTraining && lab.exercises.some((e) => e.trains)) || dataProblem() ? { incomplete: true } : {}),
    };
  } finally {
    holder.close();
  }
}

/**
 * Why the datasets cannot be used, in words (null when they can): a missing folder or a corrupt
 * file. Reading them here first means a bad dataset is reported as such, not as the student's error.
 */
function datasetProblem(dataDir: string | undefined): string | null {
  if (!dataDir) return 'no datasets folder was given (pass --data <dir> or set LABGRADE_DATA)';
  try {
    cachedSigns(dataDir);
    return null;
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
}

/** A file exercise (a trained model): judged here, as data; its checks are the verdicts. */
async function gradeFiles(
  def: ExerciseDefinition,
  assess: NonNullable<ExerciseDefinition['assessFiles']>,
  submissionDir: string,
  dataProblem: string | null,
  dataDir: string | undefined,
): Promise<ExerciseResult> {
  const started = performance.now();
  const base = { id: def.id, title: def.title, graded: def.graded, maxPoints: def.points };
  if (dataProblem || !dataDir) {
    const message = `not run: the dataset is not available: ${dataProblem ?? 'no datasets folder was given'}`;
    const checks = scoreChecks(def.points, [{ id: `${def.id}/data`, public: true, description: def.title, status: 'skipped', passed: false, message, durationMs: 0 }]);
    return { ...base, status: 'skipped', message, points: 0, checks };
  }
  const assessment = await assess(submissionDir, dataDir);
  if ('missing' in assessment) return { ...base, status: 'missing', message: assessment.missing, points: 0, checks: [] };
  const durationMs = Math.round(performance.now() - started);
  const checks = scoreChecks(
    def.points,
    assessment.verdicts.map((v) => ({ id: `${def.id}/${v.idSuffix}`, public: true, description: v.description, status: v.passed ? 'passed' : 'failed', passed: v.passed, message: v.message, durationMs })),
  );
  const metrics = assessment.verdicts.find((v) => v.metrics)?.metrics;
  return { ...base, status: exerciseStatus(checks), ...sumPoints(checks), checks, ...(metrics ? { metrics } : {}) };
}

interface ExerciseContext {
  holder: SessionHolder;
  lab: LabDefinition;
  exerciseMs: number;
  labDeadline: number;
  dataProblem: string | null;
  options: GradeLabOptions;
}

/** Why a case is not run at all, before any call: training skipped, or its data unusable. */
function skipReason(def: ExerciseDefinition, loaded: LoadedCase, ctx: ExerciseContext): string | null {
  if (def.trains && ctx.options.skipTraining) return 'not run: training checks were skipped (--skip-training); they score nothing';
  if (loaded.datasets.length > 0 && ctx.dataProblem) return `not run: the dataset is not available: ${ctx.dataProblem}`;
  return null;
}

/** Checks of one call that its exercise judges itself; a failed call is one failed check. */
async function judgeCustom(
  judge: NonNullable<ExerciseDefinition['judge']>,
  def: ExerciseDefinition,
  outcome: CallOutcome,
  args: readonly unknown[],
  loaded: LoadedCase,
  ctx: ExerciseContext,
): Promise<{ checks: UnscoredCheck[]; metrics?: TrainingMetrics }> {
  const base = checkBase(loaded, outcome.durationMs);
  if (outcome.kind !== 'value') return { checks: [compareOutcome(outcome, loaded, def, ctx.lab)] };
  const verdicts = await judge(outcome.value, {
    args,
    expected: loaded.expected?.expected,
    dataDir: ctx.dataProblem ? undefined : ctx.options.dataDir,
    backend: ctx.holder.backend,
    durationMs: outcome.durationMs,
  });
  const metrics = verdicts.find((v) => v.metrics)?.metrics;
  const checks = verdicts.map((v) => ({
    ...base,
    id: `${base.id}:${v.idSuffix}`,
    description: base.public ? v.description : base.description,
    status: v.passed ? ('passed' as const) : ('failed' as const),
    passed: v.passed,
    // A judge's words may describe the hidden case's inputs or expected values.
    message: base.public ? v.message : v.passed ? 'The result is right.' : 'The result is not right (details are not shown for hidden checks).',
    actual: summarizeValue(outcome.value),
    ...(v.diagnosis ? { diagnosis: v.diagnosis } : {}),
  }));
  return { checks, metrics };
}

async function gradeExercise(def: ExerciseDefinition, cases: LoadedCase[], ctx: ExerciseContext, code: string | undefined): Promise<ExerciseResult> {
  const { holder, lab, exerciseMs, labDeadline } = ctx;
  const exerciseDeadline = performance.now() + exerciseMs;
  const checks: UnscoredCheck[] = [];
  let metrics: TrainingMetrics | undefined;
  let timedOut = false;
  const deadline = Math.min(exerciseDeadline, labDeadline);
  const outOfTime = () => `not run: the time limit for ${labDeadline <= exerciseDeadline ? 'the lab' : def.id} was used up`;
  for (const loaded of cases) {
    const base = { ...checkBase(loaded), passed: false };
    const skipped = skipReason(def, loaded, ctx);
    if (skipped) {
      checks.push({ ...base, status: 'skipped', message: skipped });
      continue;
    }
    if (timedOut || deadline <= performance.now()) {
      checks.push({ ...base, status: 'timeout', message: timedOut ? `not run: an earlier check of ${def.id} timed out` : outOfTime() });
      continue;
    }
    // A restart after a crash spends the same time budget as the calls.
    const ready = await holder.ensure(deadline - performance.now());
    if ('failure' in ready) {
      const status = deadline <= performance.now() ? 'timeout' : 'error';
      checks.push({ ...base, status, message: `could not restart the submission's process: ${ready.failure}` });
      continue;
    }
    const remaining = deadline - performance.now();
    if (remaining <= 0) {
      checks.push({ ...base, status: 'timeout', message: outOfTime() });
      continue;
    }
    const bindings = buildInputs(loaded.fixture);
    for (const [name, value] of Object.entries(loaded.expected?.derived ?? {})) bindings.set(name, value);
    // Dataset references pass through as they are: the child fills them in.
    const args = resolveTemplate(loaded.fixture.args, bindings, loaded.fixture.key) as Value[];
    let outcome = await ready.session.call(def.id, args, Math.max(1, Math.round(remaining)));
    if (outcome.kind === 'stale') {
      // An earlier call left something behind (a timer that patches built-ins): run this one afresh, once.
      const fresh = await holder.ensure(deadline - performance.now());
      outcome = 'failure' in fresh ? { kind: 'crashed', reason: fresh.failure, durationMs: 0 } : await fresh.session.call(def.id, args, Math.max(1, Math.round(deadline - performance.now())));
    }
    if (outcome.kind === 'timeout') timedOut = true;
    if (loaded.fixture.judge) {
      if (!def.judge) throw new Error(`${loaded.fixture.key} asks for ${def.id}'s judge, which it does not have`);
      const judged = await judgeCustom(def.judge, def, outcome, args, loaded, ctx);
      checks.push(...judged.checks);
      metrics ??= judged.metrics;
    } else {
      checks.push(compareOutcome(outcome, loaded, def, lab));
    }
  }
  const scored: CheckResult[] = scoreChecks(def.points, checks);
  return { id: def.id, title: def.title, graded: def.graded, status: exerciseStatus(scored), ...sumPoints(scored), checks: scored, code, ...(metrics ? { metrics } : {}) };
}
