/**
 * Grades one lab file of a submission, in phases over one context (lab-context.ts): load the cases,
 * read the file, bundle it, start its sandboxed process, run every public case and judge the file
 * exercises (the public phase), then every hidden case in a process of their own (the hidden
 * phase), and assemble the result. Whatever goes wrong in the submission becomes a per-check status
 * and message; the rest of the lab is still graded.
 *
 * A submission's hidden phases run after all its public ones (grade-submission.ts): a public call
 * that read the clock could otherwise time the hidden calls before it, or find the memory a hidden
 * process holds, and say what it found in its message.
 */
import type { ExerciseDefinition, LabDefinition } from './lab-definition.js';
import type { ExerciseResult, LabResult, MessageRef } from '../contract/result.js';
import { msg } from '../i18n/messages.js';
import { sumPoints } from './scoring.js';
import { boundLab } from './bounds.js';
import { BUNDLE_TIMEOUT_MS, BundleError, bundleSubmission, MAX_SOURCE_BYTES, type SubmissionBundle } from '../sandbox/bundle.js';
import { DEFAULT_LIMITS, type SessionOptions } from '../sandbox/session.js';
import { codeOutsideMarkers, extractStudentCode, starterSource } from '../submission/student-code.js';
import { SubmissionFileError, type SubmissionFiles } from '../submission/submission-files.js';
import { createLabContext, labTimeLeft, needsData, type GradeLabOptions, type LabContext } from './lab-context.js';
import { LabProcess, sessionOptions, type CallProcess } from './lab-process.js';
import { finishExercise, gradeFiles, runCases, startExercise, type ExerciseRun } from './grade-exercise.js';
import { said, ungradedExercise } from './check-results.js';
import { deviceRef } from './call-outcomes.js';

/** A lab whose public phase is over: `finish` runs its hidden phase and assembles its result. */
export interface StartedLab {
  finish(): Promise<LabResult>;
}

const finished = (result: LabResult): StartedLab => ({ finish: async () => result });

/** Grades one lab file, both phases (a submission of several labs runs them as grade-submission.ts does). */
export async function gradeLab(lab: LabDefinition, files: SubmissionFiles, options: GradeLabOptions): Promise<LabResult> {
  return (await startLab(lab, files, options)).finish();
}

/** Everything of a lab up to and including its public phase; the public process is closed when it returns. */
export async function startLab(lab: LabDefinition, files: SubmissionFiles, options: GradeLabOptions): Promise<StartedLab> {
  const ctx = createLabContext(lab, files, options);
  // A lab file that is not there costs nothing: no data is read, no process started.
  if (!files.has(lab.file)) {
    const notSubmitted = msg('grading.not-submitted', { file: lab.file });
    return finished(assembleLab(ctx, 'missing', lab.exercises.map((def) => ungradedExercise(def, ctx, 'missing', notSubmitted)), said(notSubmitted)));
  }
  const read = readLabFile(ctx);
  if ('failure' in read) return finished(await unrunnableLab(ctx, read.failure));
  const bundled = await bundleLabFile(ctx);
  if ('failure' in bundled) return finished(await unrunnableLab(ctx, bundled.failure, bundled.short, read.source));
  // Public and hidden cases run in processes of their own: what a process saw of a hidden input
  // cannot come out in a public check's message (public checks may show what the submission says).
  // One set of options for both: the datasets they are sent are read and converted once.
  const processOptions = sessionOptions(ctx);
  const publicProcess = newProcess(ctx, bundled.bundle, processOptions);
  let phase: PhaseResults<ExerciseRun>;
  try {
    const first = await publicProcess.ensure(labTimeLeft(ctx, 'public'));
    if ('failure' in first) return finished(await unrunnableLab(ctx, first.failure, first.short, read.source, publicProcess.machineFailed));
    phase = await publicPhase(ctx, publicProcess, () => publicProcess.exports);
  } finally {
    publicProcess.close();
  }
  ctx.publicMs = performance.now() - ctx.started;
  const { backend, device, tfjsVersion } = publicProcess;
  return {
    finish: async () => {
      const hiddenProcess = newProcess(ctx, bundled.bundle, processOptions);
      try {
        const exercises = await hiddenPhase(ctx, phase.exercises, hiddenProcess);
        // A process the machine failed to start cost checks a rerun may grade.
        const incomplete = phase.incomplete || publicProcess.machineFailed || hiddenProcess.machineFailed;
        return assembleLab(ctx, 'graded', exercises, { backend, ...(device === undefined ? {} : { device, ...deviceRef(device) }), tfjsVersion, ...(incomplete ? { incomplete: true } : {}) });
      } finally {
        hiddenProcess.close();
      }
    },
  };
}

/** The read phase: the lab file's text, and the student's code in it; nothing of a file that cannot be read is shown (it may not be the student's: a link to someone else's). */
function readLabFile(ctx: LabContext): { source: string } | { failure: MessageRef } {
  const { lab, files } = ctx;
  let source: string;
  try {
    source = files.readText(lab.file, MAX_SOURCE_BYTES);
  } catch (err) {
    if (err instanceof SubmissionFileError) return { failure: msg('grading.unreadable', { file: lab.file, reason: err.ref }) };
    throw err;
  }
  ctx.code = extractStudentCode(source);
  ctx.codeOutsideMarkers = codeOutsideMarkers(source, starterSource(lab.file));
  return { source };
}

/** The bundle phase: the lab file with the submission's files it imports, within the lab's time. */
async function bundleLabFile(ctx: LabContext): Promise<{ bundle: SubmissionBundle } | { failure: MessageRef; short: MessageRef }> {
  const { lab } = ctx;
  let bundle: SubmissionBundle;
  try {
    // Bundling counts against the lab's time: a file that holds esbuild for minutes holds nothing else.
    bundle = await bundleSubmission(ctx.files, lab.file, Math.min(BUNDLE_TIMEOUT_MS, Math.max(1, labTimeLeft(ctx, 'public'))));
  } catch (err) {
    if (!(err instanceof BundleError)) throw err;
    return { failure: msg('grading.not-compiled', { file: lab.file, errors: err.message }), short: msg('grading.not-compiled-short', { file: lab.file }) };
  }
  // A function written in another of the submission's files (the lab file importing or re-exporting
  // it) is the student's code as well: the report shows it and the class run compares it.
  for (const [file, text] of bundle.sources) {
    if (file === lab.file) continue;
    for (const [name, code] of extractStudentCode(text)) if (!ctx.code.has(name)) ctx.code.set(name, code);
    ctx.codeOutsideMarkers += `\n// ${file}\n${text}`;
  }
  return { bundle };
}

/** A process of the lab's, started on its first use. */
const newProcess = (ctx: LabContext, bundle: SubmissionBundle, options: SessionOptions) => new LabProcess(bundle, ctx.options.limits ?? DEFAULT_LIMITS, options);

/** Each exercise's result, or its run where hidden cases are still to come; `incomplete`: a file exercise could not be judged this time. */
interface PhaseResults<T> {
  exercises: (ExerciseResult | T)[];
  incomplete: boolean;
}

/**
 * The public phase, every exercise in order: a file exercise judged, a function the module does
 * not export marked missing, and the others' public cases run. `exports`: what the module exports,
 * by type, as its latest process loaded it (a process restarted after a crash loads it again).
 */
export function publicPhase(ctx: LabContext, process: CallProcess, exports: () => Readonly<Record<string, string>>): Promise<PhaseResults<ExerciseRun>> {
  return eachExercise(ctx, async (def) => {
    const found = exports()[def.id];
    if (found !== 'function') {
      const message = found === undefined ? msg('grading.not-exported', { file: ctx.lab.file, fn: def.id }) : msg('grading.not-a-function', { fn: def.id, found });
      return ungradedExercise(def, ctx, 'missing', message, ctx.code.get(def.id));
    }
    const run = startExercise(def);
    await runCases(run, 'public', ctx, process);
    return run;
  });
}

/** The hidden phase: the hidden cases of each exercise the public phase ran, and every exercise's result. */
export async function hiddenPhase(ctx: LabContext, exercises: readonly (ExerciseResult | ExerciseRun)[], process: CallProcess): Promise<ExerciseResult[]> {
  const results: ExerciseResult[] = [];
  for (const exercise of exercises) {
    if (!('spent' in exercise)) {
      results.push(exercise);
      continue;
    }
    await runCases(exercise, 'hidden', ctx, process);
    results.push(finishExercise(exercise, ctx));
  }
  return results;
}

/**
 * A lab whose code cannot run (it does not compile, its file cannot be read, its process does not
 * start): file exercises are still judged. `machineFailed`: the machine failed to start the process,
 * so a rerun may grade it.
 */
async function unrunnableLab(ctx: LabContext, message: MessageRef, short: MessageRef = message, source?: string, machineFailed = false): Promise<LabResult> {
  const code = source ? extractStudentCode(source) : new Map<string, string>();
  const { exercises, incomplete } = await eachExercise(ctx, (def) => ungradedExercise(def, ctx, 'error', short, code.get(def.id)));
  return assembleLab(ctx, 'error', exercises, { ...said(message), ...(incomplete || machineFailed ? { incomplete: true } : {}) });
}

/** Every exercise in order: file exercises judged, function exercises by `functionExercise`. */
async function eachExercise<T>(ctx: LabContext, functionExercise: (def: ExerciseDefinition) => ExerciseResult | T | Promise<ExerciseResult | T>): Promise<PhaseResults<T>> {
  const exercises: (ExerciseResult | T)[] = [];
  let incomplete = false;
  for (const def of ctx.lab.exercises) {
    if (def.assessFiles) {
      const judged = await gradeFiles(def, ctx);
      incomplete ||= judged.incomplete;
      exercises.push(judged.result);
    } else exercises.push(await functionExercise(def));
  }
  return { exercises, incomplete };
}

/** The most of a student's code outside the markers kept in result.json (a lab file may be 4 MB). */
const MAX_OUTSIDE_CODE_CHARS = 200_000;

/** The assemble phase: the lab's result, its points summed and bounded, its time without hidden cases'. */
function assembleLab(ctx: LabContext, status: LabResult['status'], exercises: ExerciseResult[], extra: Partial<LabResult> = {}): LabResult {
  const { lab, options, timeouts } = ctx;
  const incomplete = extra.incomplete || (status === 'graded' && options.skipTraining && lab.exercises.some((e) => e.trains)) || (status !== 'missing' && ctx.cases.length > 0 && needsData(ctx) && ctx.dataProblem() !== null);
  return boundLab({
    id: lab.id,
    title: lab.title,
    file: lab.file,
    status,
    ...sumPoints(exercises),
    exercises,
    // The public phase's time (all of it where the lab ended there), and the hidden phase's only where options keep hidden times.
    durationMs: Math.round((ctx.publicMs ?? performance.now() - ctx.started) + (options.hiddenTimings ? ctx.hiddenMs : 0)),
    ...extra,
    ...(ctx.codeOutsideMarkers ? { codeOutsideMarkers: ctx.codeOutsideMarkers.slice(0, MAX_OUTSIDE_CODE_CHARS) } : {}),
    ...(lab.optional ? { optional: true } : {}),
    ...(incomplete ? { incomplete: true } : {}),
    ...(status !== 'missing' ? { limits: { exerciseMs: timeouts.exerciseMs, labMs: timeouts.labMs, ...(timeouts.perExercise?.model ? { trainingMs: timeouts.perExercise.model } : {}), calibrated: options.calibrated ?? false } } : {}),
  });
}
