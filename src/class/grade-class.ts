/**
 * Grades a class: every sub-folder of a folder is one student's submission. Students are graded
 * `jobs` at a time (each submission in its own processes), results are written atomically per
 * student, and a rerun skips students whose submission and labgrade version are unchanged, so a
 * run killed at any moment loses nothing already graded. `shard` picks a stable subset of the class
 * for one CI job; `labgrade merge` joins the shards' outputs.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import { UsageError } from '../errors.js';
import { BackendError } from '../backends/choice.js';
import { wasmThreads } from '../backends/wasm-threads.js';
import { gradeSubmission, openSubmission, type SubmissionOptions } from '../engine/grade-submission.js';
import type { LabDefinition } from '../engine/lab-definition.js';
import type { LabTimeouts } from '../engine/lab-context.js';
import { calibrateLimits } from '../engine/calibration.js';
import type { GradeResult } from '../contract/result.js';
import { labgradeVersion } from '../paths.js';
import { STUDENT_FILES, writeReports, writeStudentOutputs, type ReportOptions } from '../report/student-outputs.js';
import { validateResult } from '../report/result-json.js';
import { inodeKey, rereadManifest, type ClassLinks, type SubmissionFiles, type SubmissionManifest } from '../submission/submission-files.js';

export const STUDENTS_DIR = 'students';
export const UNGRADABLE_FILE = 'ungradable.json';
/** What this run's grading changed against the student's last result, and why (class-outputs.ts gathers them). */
export const CHANGES_FILE = 'changes.json';

export interface PointChange {
  /** "lab:exercise", "lab:total" or "total". */
  item: string;
  old: number | null;
  new: number | null;
}

export interface ChangesRecord {
  /** Why grading ran again: labgrade's version, the options or config, the submission. */
  why: string[];
  changes: PointChange[];
}
/** The options a student was graded with, beside result.json: a rerun with others grades again. */
const GRADING_KEY_FILE = 'grading-key.json';

export interface Shard {
  /** 1-based index of this shard. */
  k: number;
  n: number;
}

/** The submission options, and how reports are presented (language, Gradescope visibility, PDF). */
export interface ClassOptions extends SubmissionOptions, ReportOptions {
  labs: readonly LabDefinition[];
  jobs: number;
  shard?: Shard;
  /** Regrade even students whose submission is unchanged. */
  force?: boolean;
  /** Derive the time limits from the reference's own time here, once per run (calibration.ts). */
  calibrate?: boolean;
  /** The class folder's hard links (made by gradeClass). */
  classLinks?: ClassLinks;
  onCalibrated?: (lab: LabDefinition, limits: LabTimeouts, referenceMs: number) => void;
  onProgress?: (event: StudentOutcome, done: number, total: number) => void;
}

export interface StudentOutcome {
  folder: string;
  /** Graded now, or could not be graded (with the reason). */
  status: 'graded' | 'ungradable';
  /** The outcome was kept from an earlier run: the submission and labgrade are unchanged. */
  kept: boolean;
  points?: number;
  maxPoints?: number;
  reason?: string;
  durationMs: number;
}

/** What a student that could not be graded gets instead of result.json. */
export interface UngradableRecord {
  folder: string;
  reason: string;
  /** What was read before grading stopped (student.json, say): the same submission is not tried again. */
  manifest: SubmissionManifest;
  labgradeVersion: string;
  checks: 'all' | 'public';
  labs: string[];
  /** The cause was labgrade's, not the submission's: a rerun tries again. */
  retry: boolean;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const k = Number(m?.[1]);
  const n = Number(m?.[2]);
  if (!m || n < 1 || k < 1 || k > n) throw new UsageError(`--shard must be k/n with 1 <= k <= n, got "${text}"`);
  return { k, n };
}

/** A student's shard depends on its folder name alone, so it stays put as the class changes. */
export function shardOf(folder: string, n: number): number {
  return (parseInt(createHash('sha256').update(folder).digest('hex').slice(0, 8), 16) % n) + 1;
}

export function listStudents(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${dir} is not a folder`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** An earlier result.json, if it is one (a damaged file is simply graded again). */
function readPreviousResult(file: string): GradeResult | null {
  try {
    return validateResult(JSON.parse(readFileSync(file, 'utf8')), file);
  } catch {
    return null;
  }
}

/**
 * Whatever decides this student's grade besides the submission: the same options give the same
 * grade. Of the roster, only this folder's row counts (a change to another's regrades nobody
 * else), and the key is kept as a hash: a student's output folder names no classmate.
 */
function gradingKey(options: ClassOptions, folder: string): string {
  const key = JSON.stringify([
    options.labs.map((l) => [l.id, l.exercises.map((x) => x.points)]),
    options.checks,
    options.sandbox,
    options.holdoutDir ?? null,
    options.roster?.get(folder) ?? null,
    options.lateRules ?? null,
  ]);
  return createHash('sha256').update(key).digest('hex');
}

/** What an earlier run left for this student: its result and the options it was graded with. */
interface Earlier {
  previous: GradeResult | null;
  previousKey: string | undefined;
}

/**
 * This student's earlier outcome, if it came from the same submission (every file grading read
 * still the same, nothing it looked for appeared), labgrade and options.
 */
async function keptOutcome(folder: string, dir: string, outDir: string, earlier: Earlier, options: ClassOptions): Promise<StudentOutcome | null> {
  const labIds = options.labs.map((l) => l.id).join();
  const { previous, previousKey } = earlier;
  const reread = previous && rereadManifest(dir, previous.submission, options.classLinks);
  if (
    previous?.labgradeVersion === labgradeVersion &&
    previousKey === gradingKey(options, folder) &&
    reread &&
    // A classmate who linked to (or unlinked from) a file of this one's changes what the report flags.
    (previous.submission.sharedWith ?? []).join() === reread.sharedWith().join() &&
    previous.checks === options.checks &&
    previous.labs.map((l) => l.id).join() === labIds &&
    // Checks skipped last time (training skipped, data missing) may run this time.
    !previous.labs.some((l) => l.incomplete)
  ) {
    // The grades stand; the reports are rendered again, in case another language or visibility was asked for.
    await writeReports(outDir, previous, options);
    rmSync(path.join(outDir, CHANGES_FILE), { force: true });
    return { folder, status: 'graded', kept: true, ...previous.total, durationMs: 0 };
  }
  const ungradable = readJson<UngradableRecord>(path.join(outDir, UNGRADABLE_FILE));
  if (
    ungradable &&
    !ungradable.retry &&
    ungradable.manifest &&
    rereadManifest(dir, ungradable.manifest, options.classLinks) !== null &&
    ungradable.labgradeVersion === labgradeVersion &&
    ungradable.checks === options.checks &&
    ungradable.labs?.join() === labIds
  ) {
    rmSync(path.join(outDir, CHANGES_FILE), { force: true });
    return { folder, status: 'ungradable', kept: true, reason: ungradable.reason, durationMs: 0 };
  }
  return null;
}

/** Points per exercise, per lab and in total, keyed as PointChange.item. */
function pointsByItem(result: GradeResult): Map<string, number> {
  const items = new Map<string, number>();
  for (const lab of result.labs) {
    for (const x of lab.exercises) items.set(`${lab.id}:${x.id}`, x.points);
    items.set(`${lab.id}:total`, lab.points);
  }
  items.set('total', result.total.points);
  return items;
}

/** What changed between a student's last result and this one, and why it was graded again. */
export function changesSince(previous: GradeResult, previousKey: string | undefined, result: GradeResult, key: string): ChangesRecord {
  const why = [
    ...(previous.labgradeVersion !== result.labgradeVersion ? [`labgrade ${previous.labgradeVersion} → ${result.labgradeVersion}`] : []),
    ...(previousKey !== key ? ['the grading options or config'] : []),
    ...(previous.submission.contentHash !== result.submission.contentHash ? ['the submission'] : []),
  ];
  const [before, after] = [pointsByItem(previous), pointsByItem(result)];
  const items = [...new Set([...after.keys(), ...before.keys()])];
  const changes = items.filter((item) => before.get(item) !== after.get(item)).map((item) => ({ item, old: before.get(item) ?? null, new: after.get(item) ?? null }));
  return { why: why.length > 0 ? why : ['--force'], changes };
}

/** The hard links among the class's submissions: files linked from more than one place (see ClassLinks). */
export function classLinks(submissionsDir: string, folders: readonly string[]): ClassLinks {
  const found = new Map<string, { links: number; folders: string[] }>();
  const walk = (root: string, dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const full = path.join(dir, name);
      let stat;
      try {
        stat = lstatSync(full);
      } catch {
        continue;
      }
      if (stat.isDirectory()) walk(root, full);
      else if (stat.isFile() && stat.nlink > 1) {
        const entry = found.get(inodeKey(stat)) ?? { links: 0, folders: [] };
        entry.links++;
        if (!entry.folders.includes(root)) entry.folders.push(root);
        found.set(inodeKey(stat), entry);
      }
    }
  };
  for (const folder of folders) {
    let root: string;
    try {
      root = realpathSync(path.join(submissionsDir, folder));
    } catch {
      continue; // a folder that cannot be opened by its name is ungradable, said when it is graded
    }
    walk(root, root);
  }
  return found;
}

/** A run killed between writing a temporary file and renaming it leaves the temporary behind. */
function removeStaleTemporaries(outDir: string): void {
  if (!existsSync(outDir)) return;
  for (const name of readdirSync(outDir)) if (name.endsWith('.tmp')) rmSync(path.join(outDir, name), { force: true });
}

async function gradeStudent(submissionsDir: string, outRoot: string, folder: string, options: ClassOptions): Promise<StudentOutcome> {
  const started = performance.now();
  const dir = path.join(submissionsDir, folder);
  const outDir = path.join(outRoot, STUDENTS_DIR, folder);
  removeStaleTemporaries(outDir);
  const earlier: Earlier = { previous: readPreviousResult(path.join(outDir, STUDENT_FILES.result)), previousKey: readJson<{ key: string }>(path.join(outDir, GRADING_KEY_FILE))?.key };
  const kept = options.force ? null : await keptOutcome(folder, dir, outDir, earlier, options);
  if (kept) return kept;
  const { previous, previousKey } = earlier;
  let files: SubmissionFiles | null = null;
  try {
    files = openSubmission(dir, options.classLinks);
    const result = await gradeSubmission(files, options.labs, options);
    rmSync(path.join(outDir, UNGRADABLE_FILE), { force: true });
    const key = gradingKey(options, folder);
    if (previous) writeFileAtomic(path.join(outDir, CHANGES_FILE), `${JSON.stringify(changesSince(previous, previousKey, result, key))}\n`);
    else rmSync(path.join(outDir, CHANGES_FILE), { force: true });
    writeFileAtomic(path.join(outDir, GRADING_KEY_FILE), `${JSON.stringify({ key })}\n`);
    await writeStudentOutputs(outDir, result, options);
    return { folder, status: 'graded', kept: false, ...result.total, durationMs: Math.round(performance.now() - started) };
  } catch (err) {
    // A backend that cannot start would fail every student alike: stop the run and say why.
    if (err instanceof BackendError) throw err;
    // A student that cannot be graded is recorded with the reason; the class run goes on.
    const reason = err instanceof UsageError ? err.message : `labgrade failed on this submission: ${err instanceof Error ? err.message : String(err)}`;
    // What the failed attempt read: the same folder is not tried again until it changes.
    const manifest: SubmissionManifest = files?.manifest() ?? { files: [], absent: [] };
    const record: UngradableRecord = {
      folder,
      reason,
      manifest,
      labgradeVersion,
      checks: options.checks,
      labs: options.labs.map((l) => l.id),
      retry: !(err instanceof UsageError),
    };
    if (previous) {
      const lost: ChangesRecord = { why: [`could not be graded: ${reason.split('\n')[0]}`], changes: [{ item: 'total', old: previous.total.points, new: null }] };
      writeFileAtomic(path.join(outDir, CHANGES_FILE), `${JSON.stringify(lost)}\n`);
    }
    rmSync(path.join(outDir, STUDENT_FILES.result), { force: true });
    writeFileAtomic(path.join(outDir, UNGRADABLE_FILE), `${JSON.stringify(record, null, 2)}\n`);
    return { folder, status: 'ungradable', kept: false, reason, durationMs: Math.round(performance.now() - started) };
  }
}

/** Output folders of students that are no longer in the class are removed, so the class files match the class. */
function pruneDeparted(outRoot: string, everyone: readonly string[]): void {
  const root = path.join(outRoot, STUDENTS_DIR);
  const present = new Set(everyone);
  for (const folder of readdirSync(root)) if (!present.has(folder)) rmSync(path.join(root, folder), { recursive: true, force: true });
}

/**
 * Each lab some student submitted, with the limits its reference's time here gives (calibration.ts);
 * `onCalibrated` hears of each.
 */
async function calibrate(submissionsDir: string, students: readonly string[], options: ClassOptions): Promise<Record<string, LabTimeouts>> {
  const limits: Record<string, LabTimeouts> = {};
  for (const lab of options.labs) {
    if (!students.some((folder) => existsSync(path.join(submissionsDir, folder, lab.file)))) continue;
    const started = performance.now();
    const calibrated = await calibrateLimits(lab, options);
    if (!calibrated) continue;
    limits[lab.id] = calibrated;
    options.onCalibrated?.(lab, calibrated, performance.now() - started);
  }
  return limits;
}

export async function gradeClass(submissionsDir: string, outRoot: string, options: ClassOptions): Promise<StudentOutcome[]> {
  const everyone = listStudents(submissionsDir);
  // Always there, even for an empty shard, so that `merge` can take every shard's folder.
  mkdirSync(path.join(outRoot, STUDENTS_DIR), { recursive: true });
  pruneDeparted(outRoot, everyone);
  const students = options.shard ? everyone.filter((f) => shardOf(f, options.shard!.n) === options.shard!.k) : everyone;
  // Jobs side by side share the cores: each submission's wasm backend gets its share of threads.
  const threads = { ...options, wasmThreads: options.wasmThreads ?? wasmThreads(process.env, options.jobs), classLinks: classLinks(submissionsDir, everyone) };
  const shared = { ...threads, ...(options.calibrate ? { calibratedTimeouts: await calibrate(submissionsDir, students, threads) } : {}) };
  const outcomes: StudentOutcome[] = new Array(students.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < students.length) {
      const i = next++;
      outcomes[i] = await gradeStudent(submissionsDir, outRoot, students[i], shared);
      options.onProgress?.(outcomes[i], ++done, students.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.jobs, students.length)) }, worker));
  return outcomes;
}
