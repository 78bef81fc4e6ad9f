/**
 * An instructor's roster (`--roster roster.csv`): one row per student with the submission folder's
 * name, the student's id, name and email (header: folder,id,name,email; class optional). Where it
 * names a folder it decides who that submission belongs to, and the folder's student.json is not read.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { compileSchema, SchemaError } from '../schema.js';
import type { StudentInfo } from '../engine/model.js';
import { UsageError } from '../errors.js';

const validateStudent = compileSchema<StudentInfo>('student.schema.json');

export type Roster = ReadonlyMap<string, StudentInfo>;

export function readRoster(file: string): Roster {
  let rows: Record<string, string>[];
  try {
    rows = parse(readFileSync(file, 'utf8'), { columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()), skip_empty_lines: true, trim: true, bom: true });
  } catch (err) {
    throw new UsageError(`the roster ${file} could not be read: ${(err as Error).message.split('\n')[0].slice(0, 200)}`);
  }
  if (rows.length > 0 && !('folder' in rows[0] && 'id' in rows[0])) throw new UsageError(`the roster ${file} needs the columns folder and id (and optionally name, email, class)`);
  const roster = new Map<string, StudentInfo>();
  rows.forEach((row, i) => {
    const line = i + 2;
    if (roster.has(row.folder)) throw new UsageError(`the roster ${file} lists the folder "${row.folder}" twice (line ${line})`);
    const info = Object.fromEntries(Object.entries({ id: row.id, name: row.name, email: row.email, class: row.class }).filter(([, v]) => v !== undefined && v !== ''));
    try {
      roster.set(row.folder, { ...validateStudent(info, `${file} line ${line}`), source: 'roster' });
    } catch (err) {
      if (err instanceof SchemaError) throw new UsageError(err.message);
      throw err;
    }
  });
  return roster;
}
