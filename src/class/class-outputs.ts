/**
 * The class-level outputs, always derived from the per-student outputs on disk (so a resumed run
 * and a merge of shards give the same files): class.json, gradebook.csv, junit.xml, summary.md, summary.html.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { writeFileAtomic } from '../atomic-write.js';
import { median } from '../median.js';
import type { GradeResult, ModelScores } from '../contract/result.js';
import { roundPoints } from '../engine/scoring.js';
import { labgradeVersion } from '../paths.js';
import { labs } from '../../graders/index.js';
import { markedRegions, similarPairs, type SimilarityFlag } from './similarity.js';
import { starterSource } from '../submission/student-code.js';
import { renderClassJunit } from '../report/junit.js';
import { distributionSpec, renderSvg } from '../report/charts.js';
import { format, labels } from '../report/report-view.js';
import type { Lang } from '../i18n/messages.js';
import { renderTemplate } from '../report/templates.js';
import { validateResult } from '../report/result-json.js';
import { STUDENT_FILES } from '../report/student-outputs.js';
import { visible, visibleStrings } from '../report/markdown-text.js';
import { CHANGES_FILE, STUDENTS_DIR, UNGRADABLE_FILE, type ChangesRecord, type UngradableRecord } from './grade-class.js';
import { channelNormAgreement, sampleCorrelation, SAME_CHANNEL_NORMS, SAME_WEIGHTS_CORRELATION } from '../models/weights-sample.js';

export interface ClassEntry {
  folder: string;
  result?: GradeResult;
  ungradable?: UngradableRecord;
  /** What the last run's grading changed for this student, and why. */
  changes?: ChangesRecord;
}

export const CLASS_FILES = { summary: 'class.json', gradebook: 'gradebook.csv', junit: 'junit.xml', report: 'summary.md', html: 'summary.html', changes: 'changes.csv' } as const;

/** Reads every student's output under <outDir>/students, in folder order. */
export function readClass(outDir: string): ClassEntry[] {
  const root = path.join(outDir, STUDENTS_DIR);
  if (!existsSync(root)) return [];
  // Ids, names and reasons reach summaries and the gradebook: invisible characters are shown there.
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .flatMap((folder): ClassEntry[] => {
      const changesFile = path.join(root, folder, CHANGES_FILE);
      const changes: Pick<ClassEntry, 'changes'> = existsSync(changesFile) ? { changes: visibleStrings(JSON.parse(readFileSync(changesFile, 'utf8')) as ChangesRecord) } : {};
      const resultFile = path.join(root, folder, STUDENT_FILES.result);
      if (existsSync(resultFile)) return [{ folder, result: visibleStrings(validateResult(JSON.parse(readFileSync(resultFile, 'utf8')), resultFile)), ...changes }];
      const ungradableFile = path.join(root, folder, UNGRADABLE_FILE);
      if (existsSync(ungradableFile)) return [{ folder, ungradable: visibleStrings(JSON.parse(readFileSync(ungradableFile, 'utf8'))), ...changes }];
      return []; // grading of this student was interrupted before anything was written
    });
}

/** Columns: each exercise of each lab, then the lab totals, then the total. */
function gradebookColumns(entries: ClassEntry[]): { key: string; lab: string; exercise?: string }[] {
  const exercisesByLab = new Map<string, string[]>();
  for (const e of entries) {
    for (const lab of e.result?.labs ?? []) {
      const exercises = exercisesByLab.get(lab.id) ?? [];
      for (const ex of lab.exercises) if (!exercises.includes(ex.id)) exercises.push(ex.id);
      exercisesByLab.set(lab.id, exercises);
    }
  }
  return [...exercisesByLab].flatMap(([lab, exercises]) => [...exercises.map((exercise) => ({ key: `${lab}:${exercise}`, lab, exercise })), { key: `${lab}:total`, lab }]);
}

/**
 * Ids that more than one folder claims, with those folders. Ids are compared without case
 * (gradebooks and LMS imports often match them so): "s001" and "S001" are one id, shown as both.
 */
export function claimedTwice(claims: readonly { folder: string; id: string; fromRoster?: boolean }[]): { id: string; folders: string[]; unentitled: string[] }[] {
  const byId = new Map<string, { spellings: Set<string>; folders: string[]; rostered: string[] }>();
  for (const { folder, id, fromRoster } of claims) {
    const key = id.toLowerCase();
    const claim = byId.get(key) ?? { spellings: new Set<string>(), folders: [], rostered: [] };
    claim.spellings.add(id);
    claim.folders.push(folder);
    if (fromRoster) claim.rostered.push(folder);
    byId.set(key, claim);
  }
  // The instructor's roster outranks a student.json: a folder off the roster cannot take a rostered student's id.
  return [...byId.values()]
    .filter((c) => c.folders.length > 1)
    .map((c) => ({ id: [...c.spellings].join(' / '), folders: c.folders, unentitled: c.rostered.length === 1 ? c.folders.filter((f) => f !== c.rostered[0]) : c.folders }));
}

/** Student ids (as recorded at grading) that more than one folder claims, and which of them may not (all, unless the roster names one). */
export function duplicateIds(entries: ClassEntry[]): ReturnType<typeof claimedTwice> {
  return claimedTwice(entries.flatMap((e) => (e.result?.student ? [{ folder: e.folder, id: e.result.student.id, fromRoster: e.result.student.source === 'roster' }] : [])));
}

/** The trained models a submission handed in, scored: their weights' hashes and whether they are published ones. */
function trainedModels(e: ClassEntry): ModelScores[] {
  return (e.result?.labs ?? []).flatMap((l) => l.exercises.flatMap((x) => (x.scores ? [x.scores] : [])));
}

/**
 * Folders whose trained models have the same weights, or weights made from one another's (a copy
 * with some values changed, further training, channels reordered, kernels rescaled): the same
 * hash, samples correlating at least SAME_WEIGHTS_CORRELATION, or channel norms agreeing
 * (SAME_CHANNEL_NORMS). The published weights aside: those are flagged as such.
 */
export function sameTrainedWeights(entries: ClassEntry[]): { folders: string[] }[] {
  const models = entries.flatMap((e) => trainedModels(e).filter((s) => !s.published).map((scores) => ({ folder: e.folder, scores })));
  const group = models.map((_, i) => i);
  const root = (i: number): number => (group[i] === i ? i : (group[i] = root(group[i])));
  for (let i = 0; i < models.length; i++) {
    for (let j = i + 1; j < models.length; j++) {
      const [a, b] = [models[i].scores, models[j].scores];
      const r = sampleCorrelation(a.weightsSample, b.weightsSample);
      const norms = channelNormAgreement(a.channelNorms, b.channelNorms);
      if (a.weightsSha256 === b.weightsSha256 || (r !== null && r >= SAME_WEIGHTS_CORRELATION) || (norms !== null && norms >= SAME_CHANNEL_NORMS)) group[root(j)] = root(i);
    }
  }
  const folders = new Map<number, Set<string>>();
  models.forEach((m, i) => folders.set(root(i), (folders.get(root(i)) ?? new Set()).add(m.folder)));
  return [...folders.values()].filter((set) => set.size > 1).map((set) => ({ folders: [...set] }));
}

/**
 * What an instructor should look at in a student's row: an id another folder claims too, grading
 * without the OS sandbox, a file shared with a classmate, a trained model that is the course's
 * published one or a classmate's.
 */
function flagsOf(e: ClassEntry, duplicated: ReadonlySet<string>, sameWeights: readonly { folders: string[] }[]): string {
  const flags: string[] = [];
  if (duplicated.has(e.folder)) flags.push('duplicate id');
  if (e.result && e.result.sandbox.kind !== 'bwrap') flags.push('no OS sandbox');
  if (e.result?.submission.sharedWith) flags.push(`shares a file with ${e.result.submission.sharedWith.join(', ')} (a hard link)`);
  if (trainedModels(e).some((s) => s.published)) flags.push('trained model: the published weights');
  const twins = sameWeights.find((g) => g.folders.includes(e.folder))?.folders.filter((f) => f !== e.folder);
  if (twins) flags.push(`trained model: the same weights as ${twins.join(', ')}`);
  return flags.join('; ');
}

export function renderGradebook(entries: ClassEntry[]): string {
  const columns = gradebookColumns(entries);
  const duplicated = new Set(duplicateIds(entries).flatMap((d) => d.unentitled));
  const sameWeights = sameTrainedWeights(entries);
  // A course with deadlines gets a column of what lateness cost (lab totals are after it).
  const withLate = entries.some((e) => e.result?.labs.some((l) => l.late));
  const header = ['folder', 'student_id', 'name', 'class', 'email', 'status', 'flags', ...columns.map((c) => c.key), ...(withLate ? ['late_deduction'] : []), 'total', 'max_total'];
  const rows = entries.map((e) => {
    const s = e.result?.student;
    const values = columns.map((c) => {
      const lab = e.result?.labs.find((l) => l.id === c.lab);
      if (!lab) return '';
      return c.exercise ? (lab.exercises.find((x) => x.id === c.exercise)?.points ?? '') : lab.points;
    });
    const status = e.ungradable ? 'ungradable' : e.result!.labs.some((l) => l.status === 'error') ? 'lab error' : 'graded';
    const late = withLate ? [e.result ? roundPoints(e.result.labs.reduce((sum, l) => sum + (l.late?.deduction ?? 0), 0)) : ''] : [];
    return [e.folder, s?.id ?? '', s?.name ?? '', s?.class ?? '', s?.email ?? '', status, flagsOf(e, duplicated, sameWeights), ...values, ...late, e.result?.total.points ?? '', e.result?.total.maxPoints ?? ''];
  });
  // A name like =HYPERLINK(...) from student.json must stay text in a spreadsheet.
  return stringify([header, ...rows], { escape_formulas: true });
}

/** changes.csv: one row per item whose points the last run changed, with why the student was graded again. */
export function renderChanges(entries: ClassEntry[]): string {
  const rows = entries.flatMap((e) => (e.changes?.changes ?? []).map((c) => [e.folder, e.result?.student?.id ?? '', c.item, c.old ?? '', c.new ?? '', e.changes!.why.join('; ')]));
  return stringify([['folder', 'student_id', 'item', 'old', 'new', 'why'], ...rows], { escape_formulas: true });
}

/** The starter file's marked regions per lab, so that starter code never counts as similar. */
function starterCode(): Map<string, string> {
  return new Map(labs.flatMap((lab) => {
    const starter = starterSource(lab.file);
    return starter ? [[lab.id, markedRegions(starter)] as const] : [];
  }));
}

function similarityFlags(entries: ClassEntry[], threshold: number | undefined): SimilarityFlag[] {
  // The marked regions, and what the student wrote outside them or in other files: a copy moved into helpers is still a copy.
  const students = entries.flatMap((e) => (e.result?.labs ?? []).map((lab) => ({ folder: e.folder, lab: lab.id, code: [...lab.exercises.map((x) => x.code ?? ''), lab.codeOutsideMarkers ?? ''].join('\n') })));
  return similarPairs(students, starterCode(), threshold);
}

/** How the class files are written: the summary's language, and the similarity threshold (labgrade.config.json). */
export interface ClassOutputOptions {
  lang?: Lang;
  similarityThreshold?: number;
}

export function summarize(entries: ClassEntry[], similarityThreshold?: number) {
  const graded = entries.filter((e) => e.result).map((e) => e.result!);
  const fractions = graded.map((r) => (r.total.maxPoints ? r.total.points / r.total.maxPoints : 0));
  const exercises = new Map<string, { passed: number; total: number }>();
  for (const r of graded) {
    for (const lab of r.labs) {
      for (const ex of lab.exercises) {
        const key = `${lab.id}:${ex.id}`;
        const stat = exercises.get(key) ?? { passed: 0, total: 0 };
        stat.total++;
        if (ex.status === 'passed') stat.passed++;
        exercises.set(key, stat);
      }
    }
  }
  return {
    students: entries.length,
    graded: graded.length,
    ungradable: entries.filter((e) => e.ungradable).map((e) => ({ folder: e.folder, reason: e.ungradable!.reason })),
    meanPercent: graded.length ? Math.round((fractions.reduce((a, b) => a + b, 0) / graded.length) * 1000) / 10 : 0,
    medianPercent: Math.round(median(fractions) * 1000) / 10,
    /** Students per 10-point band of their percentage (the last band includes 100). */
    distribution: Array.from({ length: 10 }, (_, i) => fractions.filter((f) => Math.min(9, Math.floor(f * 10)) === i).length),
    passRates: Object.fromEntries([...exercises].map(([k, v]) => [k, Math.round((v.passed / v.total) * 1000) / 10])),
    /** Pairs whose code between the markers is very similar: for a person to look at, never a penalty. */
    similar: similarityFlags(entries, similarityThreshold),
    duplicateIds: duplicateIds(entries),
    /** The labs the class was graded on (and totalled out of). */
    labs: [...new Set(graded.flatMap((r) => r.labs.map((l) => l.id)))],
    /** Students whose code ran without the OS sandbox, and why. */
    unsandboxed: graded.filter((r) => r.sandbox.kind !== 'bwrap').map((r) => r.student?.id ?? path.basename(r.submission.path)),
    sandboxNotes: [...new Set(graded.map((r) => r.sandbox.note).filter((n): n is string => n !== undefined))],
  };
}

/** What the class summary shows (summary.md and summary.html render it). */
function summaryView(entries: ClassEntry[], summary: ReturnType<typeof summarize>, lang: Lang) {
  const t = labels(lang);
  const graded = entries.filter((e) => e.result);
  return {
    lang,
    t,
    line: format(t.classLine, { students: summary.students, graded: summary.graded, ungradable: summary.ungradable.length, mean: summary.meanPercent, median: summary.medianPercent }),
    labsLine: summary.labs.length > 0 ? format(t.labsGraded, { labs: summary.labs.join(', ') }) : undefined,
    bands: summary.distribution.map((n, i) => ({ band: `${i * 10}–${i === 9 ? 100 : i * 10 + 9}%`, students: n, bar: '█'.repeat(n) })),
    passRates: Object.entries(summary.passRates).map(([exercise, percent]) => ({ exercise, percent })),
    slowest: [...graded].sort((a, b) => b.result!.durationMs - a.result!.durationMs).slice(0, 5).map((e) => ({ folder: e.folder, seconds: (e.result!.durationMs / 1000).toFixed(1) })),
    struggling: graded
      .filter((e) => e.result!.total.points < e.result!.total.maxPoints / 2 || e.result!.labs.some((l) => l.status === 'error'))
      .map((e) => ({ folder: e.folder, ...e.result!.total })),
    ungradable: summary.ungradable,
    similar: summary.similar.map((f) => ({ ...f, percent: Math.round(f.similarity * 100) })),
    duplicateIds: summary.duplicateIds.map((d) => ({ id: d.id, folders: d.folders.join(', ') })),
    sharedFiles: graded.filter((e) => e.result!.submission.sharedWith).map((e) => ({ folder: e.folder, classmates: e.result!.submission.sharedWith!.map(visible).join(', ') })),
    trainedWeights: [
      ...graded.filter((e) => trainedModels(e).some((s) => s.published)).map((e) => ({ folders: e.folder, what: t.publishedWeights })),
      ...sameTrainedWeights(graded).map((g) => ({ folders: g.folders.join(', '), what: t.sameWeights })),
    ],
    sandbox: summary.unsandboxed.length > 0 ? { students: summary.unsandboxed.length, notes: summary.sandboxNotes } : undefined,
    changed: entries
      .filter((e) => e.changes && e.changes.changes.length > 0)
      .map((e) => {
        const total = e.changes!.changes.find((c) => c.item === 'total');
        return format(t.changedLine, { folder: e.folder, total: total ? `${total.old ?? '–'} → ${total.new ?? '–'}` : t.totalUnchanged, items: e.changes!.changes.filter((c) => c.item !== 'total').length, why: e.changes!.why.join('; ') });
      }),
  };
}

export async function writeClassOutputs(outDir: string, options: ClassOutputOptions = {}): Promise<ReturnType<typeof summarize>> {
  const lang = options.lang ?? 'en';
  // Folder names are shown, in every class file, with their invisible characters escaped.
  const entries = readClass(outDir).map((e) => ({ ...e, folder: visible(e.folder) }));
  const summary = summarize(entries, options.similarityThreshold);
  const students = entries.map((e) => ({
    folder: e.folder,
    status: e.ungradable ? 'ungradable' : 'graded',
    id: e.result?.student?.id ?? null,
    points: e.result?.total.points ?? null,
    maxPoints: e.result?.total.maxPoints ?? null,
    labs: Object.fromEntries((e.result?.labs ?? []).map((l) => [l.id, l.points])),
    reason: e.ungradable?.reason ?? null,
  }));
  writeFileAtomic(path.join(outDir, CLASS_FILES.summary), `${JSON.stringify({ labgradeVersion, summary, students }, null, 2)}\n`);
  writeFileAtomic(path.join(outDir, CLASS_FILES.gradebook), renderGradebook(entries));
  writeFileAtomic(path.join(outDir, CLASS_FILES.junit), renderClassJunit(entries));
  writeFileAtomic(path.join(outDir, CLASS_FILES.changes), renderChanges(entries));
  const view = summaryView(entries, summary, lang);
  writeFileAtomic(path.join(outDir, CLASS_FILES.report), renderTemplate('summary.md.hbs', view));
  const chartSvg = await renderSvg(distributionSpec(view.bands.map(({ band, students }) => ({ band, students }))));
  writeFileAtomic(path.join(outDir, CLASS_FILES.html), renderTemplate('summary.html.hbs', { ...view, chartSvg }));
  return summary;
}
