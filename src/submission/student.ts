/** The optional student.json of a submission folder (id, name, class, email), schema-checked. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { compileSchema, SchemaError } from '../schema.js';
import type { StudentInfo } from '../engine/model.js';
import { UsageError } from '../errors.js';

const validateStudent = compileSchema<StudentInfo>('student.schema.json');

export function readStudent(dir: string): StudentInfo | null {
  const file = path.join(dir, 'student.json');
  if (!existsSync(file)) return null;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return validateStudent(data, file);
  } catch (err) {
    if (err instanceof SchemaError) throw new UsageError(`${err.message}\n  (expected {"id": "...", "name": "...", "class": "...", "email": "..."}; only id is required)`);
    throw err;
  }
}
