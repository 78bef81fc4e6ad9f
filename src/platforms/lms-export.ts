/**
 * Gradebooks for the systems instructors keep grades in, from a graded class (read, never scored):
 * Canvas's gradebook import (Student, ID, SIS User ID, SIS Login ID, Section, then one column per
 * assignment, with a "Points Possible" row), Moodle's CSV grade import (an identifier column, then
 * grade columns), and a plain CSV. Each row is matched to a person through the instructor's roster
 * where one is given, else through the identity recorded at grading; a student who cannot be
 * matched is returned in `unmatched`, never dropped without a word.
 */
import { stringify } from 'csv-stringify/sync';
import { claimedTwice, type ClassEntry } from '../class/class-outputs.js';
import type { Roster } from '../submission/roster.js';
import type { StudentInfo } from '../contract/result.js';
import { roundPoints } from '../engine/scoring.js';

export const EXPORT_FORMATS = ['canvas', 'moodle', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface Unmatched {
  folder: string;
  why: string;
}

export interface LmsExport {
  text: string;
  rows: number;
  unmatched: Unmatched[];
  /** Roster students with no graded submission: exported with empty grades (an import leaves those alone). */
  notSubmitted: string[];
}

interface Row {
  student: StudentInfo;
  folder?: string;
  labs: Map<string, number>;
  total?: number;
}

/** The labs graded anywhere in the class, in the order they were graded, with their maximum points. */
function classLabs(entries: readonly ClassEntry[]): { id: string; title: string; maxPoints: number }[] {
  const found = new Map<string, { id: string; title: string; maxPoints: number }>();
  for (const e of entries) for (const lab of e.result?.labs ?? []) if (!found.has(lab.id)) found.set(lab.id, { id: lab.id, title: lab.title, maxPoints: lab.maxPoints });
  return [...found.values()];
}

function matchRows(entries: readonly ClassEntry[], roster: Roster | undefined): { rows: Row[]; unmatched: Unmatched[]; notSubmitted: string[] } {
  const unmatched: Unmatched[] = [];
  const rows: Row[] = [];
  for (const e of entries) {
    if (e.ungradable) {
      unmatched.push({ folder: e.folder, why: `could not be graded: ${e.ungradable.reason.split('\n')[0]}` });
      continue;
    }
    const student = roster ? roster.get(e.folder)?.student : (e.result?.student ?? undefined);
    if (!student) {
      unmatched.push({ folder: e.folder, why: roster ? 'not in the roster' : 'no student id (give --roster, or a student.json)' });
      continue;
    }
    rows.push({ student, folder: e.folder, labs: new Map(e.result!.labs.map((l) => [l.id, l.points])), total: e.result!.total.points });
  }
  // One id claimed by two folders: neither grade goes in, for a person to decide which is theirs;
  // but a folder the roster names keeps its student's id against folders the roster does not.
  const claimedBy = new Map(claimedTwice(rows.map((r) => ({ folder: r.folder!, id: r.student.id, fromRoster: r.student.source === 'roster' }))).flatMap((d) => d.unentitled.map((folder) => [folder, d.folders] as const)));
  for (const row of rows.filter((r) => claimedBy.has(r.folder!))) unmatched.push({ folder: row.folder!, why: `student id ${row.student.id} is claimed by ${claimedBy.get(row.folder!)!.join(', ')}` });
  const kept = rows.filter((r) => !claimedBy.has(r.folder!));
  const graded = new Set(entries.map((e) => e.folder));
  const notSubmitted = roster ? [...roster].filter(([folder]) => !graded.has(folder)).map(([, entry]) => entry.student) : [];
  return { rows: [...kept, ...notSubmitted.map((student) => ({ student, labs: new Map<string, number>() }))], unmatched, notSubmitted: notSubmitted.map((s) => s.id) };
}

const cell = (x: number | undefined) => (x === undefined ? '' : String(roundPoints(x)));

export function exportGradebook(format: ExportFormat, entries: readonly ClassEntry[], roster?: Roster): LmsExport {
  const labs = classLabs(entries);
  const { rows, unmatched, notSubmitted } = matchRows(entries, roster);
  let table: (string | number)[][];
  if (format === 'canvas') {
    table = [
      ['Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section', ...labs.map((l) => l.title)],
      ['Points Possible', '', '', '', '', ...labs.map((l) => cell(l.maxPoints))],
      ...rows.map((r) => [r.student.name ?? '', '', r.student.id, r.student.email ?? '', r.student.class ?? '', ...labs.map((l) => cell(r.labs.get(l.id)))]),
    ];
  } else if (format === 'moodle') {
    table = [
      ['ID number', 'Email address', 'Full name', ...labs.map((l) => l.title)],
      ...rows.map((r) => [r.student.id, r.student.email ?? '', r.student.name ?? '', ...labs.map((l) => cell(r.labs.get(l.id)))]),
    ];
  } else {
    table = [
      ['student_id', 'name', 'email', 'class', 'folder', ...labs.map((l) => l.id), 'total', 'max_total'],
      ...rows.map((r) => [r.student.id, r.student.name ?? '', r.student.email ?? '', r.student.class ?? '', r.folder ?? '', ...labs.map((l) => cell(r.labs.get(l.id))), cell(r.total), cell(labs.reduce((s, l) => s + l.maxPoints, 0))]),
    ];
  }
  // Names and ids stay text in a spreadsheet (no =HYPERLINK(...) from a student.json).
  return { text: stringify(table, { escape_formulas: true }), rows: rows.length, unmatched, notSubmitted };
}
