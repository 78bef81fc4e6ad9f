/** Writes result.json after validating it against the published schema (schemas/result.schema.json). */
import { writeFileAtomic } from '../atomic-write.js';
import { compileSchema } from '../schema.js';
import type { GradeResult } from '../contract/result.js';

export const validateResult = compileSchema<GradeResult>('result.schema.json');

export function writeResultJson(file: string, result: GradeResult): void {
  validateResult(result, 'the grading result');
  writeFileAtomic(file, `${JSON.stringify(result, null, 2)}\n`);
}
