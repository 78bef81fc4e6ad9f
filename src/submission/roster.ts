/**
 * An instructor's roster (`--roster roster.csv`): one row per student with the submission folder's
 * name, the student's id, name and email (header: folder,id,name,email; class and submitted_at
 * optional). Where it names a folder it decides who that submission belongs to, and the folder's
 * student.json is not read. When a submission was handed in comes from here (or --submitted-at),
 * never from the submission itself: a student could write any date into their own folder.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { compileSchema, SchemaError } from '../schema.js';
import type { StudentInfo } from '../contract/result.js';
import { UsageError } from '../errors.js';

const validateStudent = compileSchema<StudentInfo>('student.schema.json');

export interface RosterEntry {
  student: StudentInfo;
  /** When the submission was handed in (ISO 8601), for the late policy. */
  submittedAt?: string;
}

export type Roster = ReadonlyMap<string, RosterEntry>;

/** An ISO 8601 date and time with its time zone, as the late policy needs it; a day the calendar lacks (30 February) is refused, not rolled over. */
export function parseSubmittedAt(text: string, source: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  const day = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!m || !day || day.getUTCMonth() !== Number(m[2]) - 1 || day.getUTCDate() !== Number(m[3]) || Number.isNaN(Date.parse(text))) {
    throw new UsageError(`${source}: "${text.slice(0, 60)}" is not a date and time with a time zone (2026-12-01T23:59:00+08:00)`);
  }
  return text;
}

export function readRoster(file: string): Roster {
  let rows: Record<string, string>[];
  try {
    rows = parse(readFileSync(file, 'utf8'), { columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()), skip_empty_lines: true, trim: true, bom: true });
  } catch (err) {
    throw new UsageError(`the roster ${file} could not be read: ${(err as Error).message.split('\n')[0].slice(0, 200)}`);
  }
  if (rows.length > 0 && !('folder' in rows[0] && 'id' in rows[0])) throw new UsageError(`the roster ${file} needs the columns folder and id (and optionally name, email, class, submitted_at)`);
  const roster = new Map<string, RosterEntry>();
  rows.forEach((row, i) => {
    const line = i + 2;
    if (roster.has(row.folder)) throw new UsageError(`the roster ${file} lists the folder "${row.folder}" twice (line ${line})`);
    const info = Object.fromEntries(Object.entries({ id: row.id, name: row.name, email: row.email, class: row.class }).filter(([, v]) => v !== undefined && v !== ''));
    try {
      const student: StudentInfo = { ...validateStudent(info, `${file} line ${line}`), source: 'roster' };
      roster.set(row.folder, { student, ...(row.submitted_at ? { submittedAt: parseSubmittedAt(row.submitted_at, `${file} line ${line}`) } : {}) });
    } catch (err) {
      if (err instanceof SchemaError) throw new UsageError(err.message);
      throw err;
    }
  });
  return roster;
}
