/**
 * Grades one lab file of a submission, in phases over one context: load the cases, read and bundle
 * the file, start its sandboxed process, grade each exercise (calls compared in this process, file
 * exercises judged in an evaluator), assemble the result. Whatever goes wrong in the submission
 * becomes a per-check status and message; the rest of the lab is still graded.
 */
import { compareValues, summarizeValue } from '../compare/compare-values.js';
import type { ExerciseDefinition, LabDefinition, Verdict } from './lab-definition.js';
import type { CheckResult, Diagnosis, ExerciseResult, LabResult, MessageRef, TrainingMetrics, Visibility } from '../contract/result.js';
import { english, hasMessage, msg } from '../i18n/messages.js';
import { exerciseStatus, scoreChecks, sumPoints, type UnscoredCheck } from './scoring.js';
import type { Value } from '../contract/values.js';
import { boundLab } from './bounds.js';
import { buildInputs, loadRecipes, recipeFilePath, resolveTemplate, type FixtureCase } from '../cases/recipes.js';
import { existsSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { loadExpected, type ExpectedCase } from '../cases/expected.js';
import { BUNDLE_TIMEOUT_MS, BundleError, bundleSubmission, MAX_SOURCE_BYTES, type SubmissionBundle } from '../sandbox/bundle.js';
import { SandboxSession, DEFAULT_LIMITS, type CallOutcome, type SandboxLimits, type SessionOptions } from '../sandbox/session.js';
import type { ThrownError } from '../sandbox/protocol.js';
import type { SandboxKind } from '../sandbox/os-sandbox.js';
import { codeOutsideMarkers, extractStudentCode, starterSource } from '../submission/student-code.js';
import { SubmissionFileError, type SubmissionFiles } from '../submission/submission-files.js';
import type { BackendChoice } from '../backends/choice.js';
import { datasetKey, datasetRefsIn, datasetValue, withDatasetKeys, type DatasetSpec, type DatasetTensor } from '../data/dataset-tensors.js';
import { cachedHoldout, cachedSigns } from '../data/signs.js';

/** A lab's time limits; `perExercise` overrides an exercise's own (a calibration, or a test). */
export interface LabTimeouts {
  exerciseMs: number;
  labMs: number;
  perExercise?: Record<string, number>;
}

export interface GradeLabOptions {
  /** 'public' runs only the course's public cases (students' self-check). */
  checks: 'all' | 'public';
  /** How submitted code is isolated: bubblewrap under Node's permission model, or the permission model alone. */
  sandbox: SandboxKind;
  limits?: SandboxLimits;
  /** Overrides the lab's own time limits (a calibration; tests use short ones). */
  timeouts?: Partial<LabTimeouts>;
  /** Whether `timeouts` come from the reference's own time on this machine. */
  calibrated?: boolean;
  /** The tfjs backend for submissions' processes (default auto). */
  backend?: BackendChoice;
  /** The datasets folder (holding signs/), for checks that train or evaluate on real data. */
  dataDir?: string;
  /** An instructor's held-out images, which decide a trained model's points where given. */
  holdoutDir?: string;
  /** Skips training checks (they are reported as skipped and score nothing). */
  skipTraining?: boolean;
  /** Threads for the wasm backend in submissions' processes (default: this machine's cores). */
  wasmThreads?: number;
  /** Keep hidden checks' times (the reference's own run, for calibration): a submission's are not told. */
  hiddenTimings?: boolean;
}

export interface LoadedCase {
  fixture: FixtureCase;
  /** Absent where the reference is not run ahead (the exercise's judge decides). */
  expected?: ExpectedCase;
  /** Datasets its arguments name. */
  datasets: DatasetSpec[];
  /** The id results show: the recipe's for public cases; an opaque "<exercise>/hidden-<n>" for hidden ones. */
  checkId: string;
}

/** Recipes and expected outputs, joined; a recipe without expected output is a harness error. Self-check cases run only in public-only runs. */
export function loadCases(lab: LabDefinition, checks: 'all' | 'public'): LoadedCase[] {
  const visibilities: Visibility[] = checks === 'all' ? ['public', 'hidden'] : ['public'];
  return visibilities.flatMap((visibility) => {
    if (!existsSync(recipeFilePath(lab.id, visibility))) {
      throw new UsageError(`this labgrade has no ${visibility} checks for ${lab.id} (a student kit has only the public ones): use \`labgrade check\`, or grade with --public-only`);
    }
    const expected = loadExpected(lab.id, visibility);
    const seen = new Map<string, number>();
    return loadRecipes(lab.id, visibility)
      .filter((fixture) => !(checks === 'all' && fixture.selfCheckOnly))
      .map((fixture) => {
        const e = expected.cases[fixture.key];
        if (!e && fixture.runReference !== false) throw new Error(`no expected output for ${lab.id} ${visibility} case ${fixture.key}: run \`labgrade fixtures generate\``);
        const n = (seen.get(fixture.exercise) ?? 0) + 1;
        seen.set(fixture.exercise, n);
        const checkId = visibility === 'public' ? fixture.key : `${fixture.exercise}/hidden-${n}`;
        return { fixture, expected: e, datasets: datasetRefsIn(fixture.args), checkId };
      });
  });
}

/** Everything grading one lab file works with, made once. */
interface LabContext {
  lab: LabDefinition;
  files: SubmissionFiles;
  options: GradeLabOptions;
  cases: LoadedCase[];
  timeouts: LabTimeouts;
  started: number;
  labDeadline: number;
  /** The student's code between the markers, by function (from the file as read). */
  code: Map<string, string>;
  /** What the student wrote outside the markers and in the other files the lab file imports (for the class's similarity check). */
  codeOutsideMarkers: string;
  /**
   * Time spent on hidden cases (their process's start included). It is left out of the lab's time
   * unless options.hiddenTimings: a submission could sleep for a time made of a hidden input.
   */
  hiddenMs: number;
  /** Why the datasets cannot be used (null when they can); read only when something needs them. */
  dataProblem(): string | null;
}

/** What every check result says about its case; hidden cases do not describe their inputs. */
function checkBase(loaded: LoadedCase, durationMs = 0) {
  const isPublic = loaded.fixture.visibility === 'public';
  return { id: loaded.checkId, public: isPublic, description: isPublic ? loaded.fixture.description : 'hidden check', durationMs: Math.round(durationMs), ...(loaded.fixture.edgeCase ? { edgeCase: true } : {}) };
}

/** Checks that were not run (the function is missing, the file does not compile...), each with the reason. */
function notRun(def: ExerciseDefinition, ctx: LabContext, status: CheckResult['status'], message: MessageRef): CheckResult[] {
  return scoreChecks(
    def.points,
    ctx.cases.filter((c) => c.fixture.exercise === def.id).map((c) => ({ ...checkBase(c), status, passed: false, ...said(message) })),
  );
}

function exerciseResult(def: ExerciseDefinition, checks: CheckResult[], extra: Partial<ExerciseResult> = {}): ExerciseResult {
  // The exercise's points are the lab's to give, whether or not any check ran.
  return { id: def.id, title: def.title, graded: def.graded, status: exerciseStatus(checks), points: sumPoints(checks).points, maxPoints: def.points, checks, ...extra };
}

function ungradedExercise(def: ExerciseDefinition, ctx: LabContext, status: ExerciseResult['status'], message: MessageRef, code?: string): ExerciseResult {
  const checks = notRun(def, ctx, 'skipped', msg('grading.not-run', { reason: message }));
  return { ...exerciseResult(def, checks, { ...said(message), ...(code !== undefined ? { code } : {}) }), status, points: 0 };
}

function labResult(ctx: LabContext, status: LabResult['status'], exercises: ExerciseResult[], extra: Partial<LabResult> = {}): LabResult {
  const { lab, options, timeouts } = ctx;
  const incomplete = extra.incomplete || (status === 'graded' && options.skipTraining && lab.exercises.some((e) => e.trains)) || (status !== 'missing' && ctx.cases.length > 0 && needsData(ctx) && ctx.dataProblem() !== null);
  return boundLab({
    id: lab.id,
    title: lab.title,
    file: lab.file,
    status,
    ...sumPoints(exercises),
    exercises,
    durationMs: Math.round(performance.now() - ctx.started - (options.hiddenTimings ? 0 : ctx.hiddenMs)),
    ...extra,
    ...(ctx.codeOutsideMarkers ? { codeOutsideMarkers: ctx.codeOutsideMarkers.slice(0, MAX_OUTSIDE_CODE_CHARS) } : {}),
    ...(lab.optional ? { optional: true } : {}),
    ...(incomplete ? { incomplete: true } : {}),
    ...(status !== 'missing' ? { limits: { exerciseMs: timeouts.exerciseMs, labMs: timeouts.labMs, ...(timeouts.perExercise?.model ? { trainingMs: timeouts.perExercise.model } : {}), calibrated: options.calibrated ?? false } } : {}),
  });
}

/** The most of a student's code outside the markers kept in result.json (a lab file may be 4 MB). */
const MAX_OUTSIDE_CODE_CHARS = 200_000;

function needsData(ctx: LabContext): boolean {
  return ctx.cases.some((c) => c.datasets.length > 0) || ctx.lab.exercises.some((e) => e.assessFiles);
}

/**
 * Why the datasets cannot be used, in words (null when they can): a missing folder or a corrupt
 * file. Reading them here first means a bad dataset is reported as such, not as the student's error.
 */
function datasetProblem(dataDir: string | undefined, holdoutDir: string | undefined): string | null {
  if (!dataDir) return 'no datasets folder was given (pass --data <dir> or set LABGRADE_DATA)';
  try {
    cachedSigns(dataDir);
    if (holdoutDir) cachedHoldout(holdoutDir);
    return null;
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
}

function exerciseLimit(def: ExerciseDefinition, timeouts: LabTimeouts): number {
  return timeouts.perExercise?.[def.id] ?? def.timeoutMs ?? timeouts.exerciseMs;
}

/** A lab whose code cannot run (it does not compile, its file cannot be read, its process does not start): file exercises are still judged. */
async function unrunnableLab(ctx: LabContext, message: MessageRef, short: MessageRef = message, source?: string): Promise<LabResult> {
  const code = source ? extractStudentCode(source) : new Map<string, string>();
  const exercises: ExerciseResult[] = [];
  let incomplete = false;
  for (const def of ctx.lab.exercises) {
    if (def.assessFiles) {
      const judged = await gradeFiles(def, ctx);
      incomplete ||= judged.incomplete;
      exercises.push(judged.result);
    } else exercises.push(ungradedExercise(def, ctx, 'error', short, code.get(def.id)));
  }
  return labResult(ctx, 'error', exercises, { ...said(message), ...(incomplete ? { incomplete } : {}) });
}

export async function gradeLab(lab: LabDefinition, files: SubmissionFiles, options: GradeLabOptions): Promise<LabResult> {
  const started = performance.now();
  const timeouts: LabTimeouts = { ...lab.timeouts, ...options.timeouts };
  let checkedData: { problem: string | null } | undefined;
  const ctx: LabContext = {
    lab,
    files,
    options,
    cases: loadCases(lab, options.checks),
    timeouts,
    started,
    labDeadline: started + timeouts.labMs,
    code: new Map(),
    codeOutsideMarkers: '',
    hiddenMs: 0,
    dataProblem: () => (checkedData ??= { problem: datasetProblem(options.dataDir, options.holdoutDir) }).problem,
  };
  // A lab file that is not there costs nothing: no data is read, no process started.
  if (!files.has(lab.file)) {
    const notSubmitted = msg('grading.not-submitted', { file: lab.file });
    return labResult(ctx, 'missing', lab.exercises.map((def) => ungradedExercise(def, ctx, 'missing', notSubmitted)), said(notSubmitted));
  }
  let source: string;
  try {
    source = files.readText(lab.file, MAX_SOURCE_BYTES);
  } catch (err) {
    // Nothing of a file that could not be read is shown: it may not be the student's (a link to someone else's).
    if (err instanceof SubmissionFileError) return unrunnableLab(ctx, msg('grading.unreadable', { file: lab.file, reason: err.ref }));
    throw err;
  }
  ctx.code = extractStudentCode(source);
  ctx.codeOutsideMarkers = codeOutsideMarkers(source, starterSource(lab.file));
  let bundle: SubmissionBundle;
  try {
    // Bundling counts against the lab's time: a file that holds esbuild for minutes holds nothing else.
    bundle = await bundleSubmission(files, lab.file, Math.min(BUNDLE_TIMEOUT_MS, Math.max(1, ctx.labDeadline - performance.now())));
  } catch (err) {
    if (!(err instanceof BundleError)) throw err;
    return unrunnableLab(ctx, msg('grading.not-compiled', { file: lab.file, errors: err.message }), msg('grading.not-compiled-short', { file: lab.file }), source);
  }
  // A function written in another of the submission's files (the lab file importing or re-exporting
  // it) is the student's code as well: the report shows it and the class run compares it.
  for (const [file, text] of bundle.sources) {
    if (file === lab.file) continue;
    for (const [name, code] of extractStudentCode(text)) if (!ctx.code.has(name)) ctx.code.set(name, code);
    ctx.codeOutsideMarkers += `\n// ${file}\n${text}`;
  }
  // Public and hidden cases run in processes of their own: what a process saw of a hidden input
  // cannot come out in a public check's message (public checks may show what the submission says).
  const holder = new SessionHolder(bundle, options.limits ?? DEFAULT_LIMITS, sessionOptions(ctx));
  const hiddenHolder = new SessionHolder(bundle, options.limits ?? DEFAULT_LIMITS, sessionOptions(ctx));
  const holders: Holders = { public: holder, hidden: hiddenHolder };
  try {
    const first = await holder.ensure(ctx.labDeadline - performance.now());
    if ('failure' in first) return await unrunnableLab(ctx, first.failure, first.short, source);
    const exercises: ExerciseResult[] = [];
    let incomplete = false;
    for (const def of lab.exercises) {
      if (def.assessFiles) {
        const judged = await gradeFiles(def, ctx);
        incomplete ||= judged.incomplete;
        exercises.push(judged.result);
      } else if (holder.exports[def.id] !== 'function') {
        const found = holder.exports[def.id];
        const message = found === undefined ? msg('grading.not-exported', { file: lab.file, fn: def.id }) : msg('grading.not-a-function', { fn: def.id, found });
        exercises.push(ungradedExercise(def, ctx, 'missing', message, ctx.code.get(def.id)));
      } else exercises.push(await gradeExercise(def, ctx, holders));
    }
    const device = holder.device === undefined ? {} : { device: holder.device, ...deviceRef(holder.device) };
    return labResult(ctx, 'graded', exercises, { backend: holder.backend, ...device, tfjsVersion: holder.tfjsVersion, ...(incomplete ? { incomplete } : {}) });
  } finally {
    holder.close();
    hiddenHolder.close();
  }
}

type Holders = Record<Visibility, SessionHolder>;

/** How the lab's process starts: the datasets its calls name are read here and sent to it (it reads no files). */
function sessionOptions(ctx: LabContext): SessionOptions {
  const { options } = ctx;
  const specs = new Map(ctx.cases.filter((c) => !skipReason(c, ctx)).flatMap((c) => c.datasets.map((s) => [datasetKey(s), s] as const)));
  const datasets = specs.size > 0 ? Object.fromEntries([...specs].map(([key, spec]): [string, DatasetTensor] => [key, datasetValue(spec, options.dataDir!)])) : undefined;
  return {
    sandbox: options.sandbox,
    backend: options.backend ?? 'auto',
    datasets,
    // Threads pay off for calls on real data (training); starting the threaded wasm build's pool
    // costs about 0.25 s, more than a lab of function checks gains from it.
    wasmThreads: datasets ? options.wasmThreads : 1,
  };
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
    private readonly limits: SandboxLimits,
    private readonly sessionOptions: SessionOptions,
  ) {}

  /** The live session (starting one within `budgetMs` if needed), or why none could be started. */
  /** The session, or why none started: `failure` in full, `short` its first line (what every check says). */
  async ensure(budgetMs = Infinity): Promise<{ session: SandboxSession } | { failure: MessageRef; short: MessageRef }> {
    if (this.session?.alive) return { session: this.session };
    const limits = { ...this.limits, startupTimeoutMs: Math.max(1, Math.min(this.limits.startupTimeoutMs, Math.round(budgetMs))) };
    const started = await SandboxSession.start(this.bundle, this.sessionOptions, limits);
    if (started.kind === 'load-failed') {
      const thrown = describeThrown(started.error);
      return { failure: msg('grading.load-failed', { error: thrown }), short: msg('grading.load-failed', { error: thrown.split('\n')[0] }) };
    }
    // Loading runs no fixture, so what the process printed may be shown.
    if (started.kind === 'crashed') {
      const failure = crashed(started);
      return { failure, short: failure };
    }
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

/**
 * The words of the backends' device lines ("WebAssembly SIMD, 2 threads", "plain JavaScript"), for
 * reports in other languages; a GPU adapter's name stays a name.
 */
function deviceRef(device: string): { deviceRef?: MessageRef } {
  const wasm = /^WebAssembly( SIMD)?, (\d+) threads?(?: \(threads unavailable: (.*)\))?$/.exec(device);
  if (wasm) return { deviceRef: msg(wasm[3] ? 'device.wasm-no-threads' : 'device.wasm', { simd: wasm[1] ? 'simd' : 'plain', threads: Number(wasm[2]), why: wasm[3] ?? '' }) };
  return device === 'plain JavaScript' ? { deviceRef: msg('device.cpu') } : {};
}

/** Why a process stopped, with what it printed where there is a line of it. */
function crashed(stop: { reason: string; reasonRef?: MessageRef; detail?: string }): MessageRef {
  const reason = stop.reasonRef ?? stop.reason;
  return stop.detail ? msg('outcome.crashed-detail', { reason, detail: stop.detail }) : msg('outcome.crashed', { reason });
}

function describeThrown(error: ThrownError): string {
  return `${error.name}: ${error.message}${error.stack ? `\n${error.stack}` : ''}`;
}

/**
 * What went wrong in a call, in words. A hidden check speaks in fixed words only: any text, number,
 * name or shape the submission produced (an error's message or name, an exit code, what changed)
 * could carry the hidden inputs out.
 */
export function outcomeFailure(outcome: Exclude<CallOutcome, { kind: 'value' }>, reveal: boolean): MessageRef {
  switch (outcome.kind) {
    case 'threw':
      return reveal ? msg('outcome.threw', { error: describeThrown(outcome.error) }) : msg('outcome.threw-hidden');
    case 'timeout':
      return msg('outcome.timeout', { seconds: (outcome.limitMs / 1000).toFixed(1) });
    case 'crashed':
      if (reveal) return crashed(outcome);
      return msg(/memory/.test(outcome.reason) ? 'outcome.out-of-memory-hidden' : 'outcome.crashed-hidden');
    case 'stale':
      return reveal ? msg('outcome.stale', { what: outcome.tampered.join(', ') }) : msg('outcome.stale-hidden');
    default:
      return msg(outcome.kind === 'trained' ? 'outcome.trained' : 'outcome.other');
  }
}

export const describeOutcomeFailure = (outcome: Exclude<CallOutcome, { kind: 'value' }>, reveal: boolean): string => english(outcomeFailure(outcome, reveal));

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
function summaryFields(actual: Value, expected?: Value) {
  const actualRef = summarizeValue(actual);
  const expectedRef = expected === undefined ? undefined : summarizeValue(expected);
  return { actual: english(actualRef), actualRef, ...(expectedRef ? { expected: english(expectedRef), expectedRef } : {}) };
}

/** A check's message: the English text for result.json, and the ref a report renders in its language. */
const said = (ref: MessageRef) => ({ message: english(ref), messageRef: ref });
const described = (ref: MessageRef) => ({ description: english(ref), descriptionRef: ref });

/** A public check from a judge's verdict (a file exercise's, or `labgrade evaluate`'s). */
export function verdictCheck(v: Verdict, id: string, durationMs: number): UnscoredCheck {
  return { id, public: true, ...described(v.description), status: v.passed ? 'passed' : 'failed', passed: v.passed, ...said(v.message), ...(v.diagnosis ? { diagnosis: v.diagnosis } : {}), durationMs };
}

/** A check that compares the call's output with the reference's. */
function compareOutcome(outcome: CallOutcome, loaded: LoadedCase, def: ExerciseDefinition, lab: LabDefinition): UnscoredCheck {
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

/** A file exercise (a trained model): judged as data in an evaluator; its checks are the verdicts. `incomplete`: labgrade could not judge it this time. */
async function gradeFiles(def: ExerciseDefinition, ctx: LabContext): Promise<{ result: ExerciseResult; incomplete: boolean }> {
  const started = performance.now();
  const dataProblem = ctx.dataProblem();
  const single = (status: CheckResult['status'], message: MessageRef) => scoreChecks(def.points, [{ id: `${def.id}/${status === 'skipped' ? 'data' : 'evaluation'}`, public: true, description: def.title, status, passed: false, ...said(message), durationMs: 0 }]);
  if (dataProblem || !ctx.options.dataDir) {
    const message = msg('grading.no-dataset', { reason: dataProblem ?? 'no datasets folder was given' });
    return { result: { ...exerciseResult(def, single('skipped', message)), status: 'skipped', ...said(message) }, incomplete: false };
  }
  const assessment = await def.assessFiles!({
    files: ctx.files,
    dataDir: ctx.options.dataDir,
    holdoutDir: ctx.options.holdoutDir,
    run: { sandbox: ctx.options.sandbox, backend: ctx.options.backend ?? 'auto', wasmThreads: ctx.options.wasmThreads },
    timeoutMs: Math.max(1, Math.min(exerciseLimit(def, ctx.timeouts), ctx.labDeadline - performance.now())),
  });
  if ('missing' in assessment) return { result: { ...exerciseResult(def, []), status: 'missing', ...said(assessment.missing), points: 0 }, incomplete: false };
  if ('incomplete' in assessment) {
    const message = msg('grading.incomplete', { reason: assessment.incomplete });
    return { result: { ...exerciseResult(def, single('error', message)), ...said(message) }, incomplete: true };
  }
  const durationMs = Math.round(performance.now() - started);
  const checks = scoreChecks(
    def.points,
    assessment.verdicts.map((v) => verdictCheck(v, `${def.id}/${v.idSuffix}`, durationMs)),
  );
  const metrics = assessment.verdicts.find((v) => v.metrics)?.metrics;
  return { result: exerciseResult(def, checks, { ...(metrics ? { metrics } : {}), ...(assessment.scores ? { scores: assessment.scores } : {}) }), incomplete: false };
}

/** Why a case is not run at all, before any call: training skipped, or its data unusable. */
function skipReason(loaded: LoadedCase, ctx: LabContext): MessageRef | null {
  const def = ctx.lab.exercises.find((e) => e.id === loaded.fixture.exercise);
  if (def?.trains && ctx.options.skipTraining) return msg('grading.training-skipped');
  if (loaded.datasets.length > 0 && ctx.dataProblem()) return msg('grading.no-dataset', { reason: ctx.dataProblem()! });
  return null;
}

/** Checks of one call that its exercise judges itself; a failed call is one failed check. */
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
  const metrics = verdicts.find((v) => v.metrics)?.metrics;
  const checks = verdicts.map((v) => ({
    ...base,
    id: `${base.id}:${v.idSuffix}`,
    ...(base.public ? described(v.description) : { description: base.description }),
    status: v.passed ? ('passed' as const) : ('failed' as const),
    passed: v.passed,
    // A judge's words may describe the hidden case's inputs or expected values.
    ...said(base.public ? v.message : (v.hiddenMessage ?? msg(v.passed ? 'check.right' : 'check.not-right-hidden'))),
    ...(base.public ? summaryFields(outcome.value) : {}),
    ...(v.diagnosis ? { diagnosis: v.diagnosis } : {}),
  }));
  return { checks, metrics };
}

async function gradeExercise(def: ExerciseDefinition, ctx: LabContext, holders: Holders): Promise<ExerciseResult> {
  const { lab, labDeadline } = ctx;
  const exerciseMs = exerciseLimit(def, ctx.timeouts);
  const exerciseDeadline = performance.now() + exerciseMs;
  const checks: UnscoredCheck[] = [];
  let metrics: TrainingMetrics | undefined;
  let timedOut = false;
  const deadline = Math.min(exerciseDeadline, labDeadline);
  const outOfTime = () => said(labDeadline <= exerciseDeadline ? msg('grading.lab-time-used') : msg('grading.exercise-time-used', { fn: def.id }));
  for (const loaded of ctx.cases.filter((c) => c.fixture.exercise === def.id)) {
    const caseStarted = performance.now();
    try {
      const base = { ...checkBase(loaded), passed: false };
      const skipped = skipReason(loaded, ctx);
      if (skipped) {
        checks.push({ ...base, status: 'skipped', ...said(skipped) });
        continue;
      }
      if (timedOut || deadline <= performance.now()) {
        checks.push({ ...base, status: 'timeout', ...(timedOut ? said(msg('grading.earlier-timeout', { fn: def.id })) : outOfTime()) });
        continue;
      }
      const holder = holders[loaded.fixture.visibility];
      // A restart after a crash spends the same time budget as the calls.
      const ready = await holder.ensure(deadline - performance.now());
      if ('failure' in ready) {
        const status = deadline <= performance.now() ? 'timeout' : 'error';
        checks.push({ ...base, status, ...said(loaded.fixture.visibility === 'public' ? msg('grading.restart-failed', { reason: ready.failure }) : msg('grading.restart-failed-hidden')) });
        continue;
      }
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        checks.push({ ...base, status: 'timeout', ...outOfTime() });
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
        const fresh = await holder.ensure(deadline - performance.now());
        outcome = 'failure' in fresh ? { kind: 'crashed', reason: english(fresh.failure), reasonRef: fresh.failure, durationMs: 0 } : await fresh.session.call(def.id, sent, Math.max(1, Math.round(deadline - performance.now())), loaded.fixture.shuffleFrom);
      }
      if (outcome.kind === 'timeout') timedOut = true;
      if (loaded.fixture.judge) {
        if (!def.judge) throw new Error(`${loaded.fixture.key} asks for ${def.id}'s judge, which it does not have`);
        const judged = await judgeCustom(def, outcome, args, loaded, ctx, holder.backend);
        checks.push(...judged.checks);
        metrics ??= judged.metrics;
      } else {
        checks.push(compareOutcome(outcome, loaded, def, lab));
      }
    } finally {
      // A hidden case's time is kept out of every time a report shows (see hiddenMs).
      if (loaded.fixture.visibility === 'hidden') ctx.hiddenMs += performance.now() - caseStarted;
    }
  }
  const code = ctx.code.get(def.id);
  // How long a hidden check took is not told: a submission could sleep for a time made of a hidden input.
  const timed = ctx.options.hiddenTimings ? checks : checks.map((c) => (c.public ? c : { ...c, durationMs: 0 }));
  return exerciseResult(def, scoreChecks(def.points, timed), { ...(code !== undefined ? { code } : {}), ...(metrics ? { metrics } : {}) });
}
