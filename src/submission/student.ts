/** Who a submission belongs to: the instructor's roster where it names the folder, else the folder's own student.json (schema-checked). */
import path from 'node:path';
import { compileSchema, SchemaError } from '../schema.js';
import type { StudentInfo } from '../contract/result.js';
import { UsageError } from '../errors.js';
import { SubmissionFileError, type SubmissionFiles } from './submission-files.js';

const validateStudent = compileSchema<StudentInfo>('student.schema.json');

export const STUDENT_FILE = 'student.json';
const MAX_STUDENT_BYTES = 64 << 10;

/** A JSON parse error's position only: the parser's own message quotes the file, which may be anything (a link to /etc/passwd). */
function parsePosition(err: unknown): string {
  const at = /position (\d+)/.exec(String((err as Error)?.message))?.[1];
  return at ? ` (at character ${at})` : '';
}

export function readStudent(files: SubmissionFiles): StudentInfo | null {
  if (!files.has(STUDENT_FILE)) return null;
  const where = path.join(files.root, STUDENT_FILE);
  let text: string;
  try {
    text = files.readText(STUDENT_FILE, MAX_STUDENT_BYTES);
  } catch (err) {
    if (err instanceof SubmissionFileError) throw new UsageError(`${files.root}: ${err.message}`);
    throw err;
  }
  let data: unknown;
  try {
    // Editors such as Notepad start UTF-8 with a byte-order mark, which JSON does not allow.
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new UsageError(`${where} is not valid JSON${parsePosition(err)}`);
  }
  try {
    return { ...validateStudent(data, where), source: 'student.json' };
  } catch (err) {
    if (err instanceof SchemaError) throw new UsageError(`${err.message}\n  (expected {"id": "...", "name": "...", "class": "...", "email": "..."}; only id is required)`);
    throw err;
  }
}
