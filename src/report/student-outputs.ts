/** Everything written for one graded submission; result.json goes last, so its presence means "complete". */
import path from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import type { GradeResult } from '../engine/model.js';
import { toGradescope, validateGradescope } from './gradescope.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { writeResultJson } from './result-json.js';

export const STUDENT_FILES = { result: 'result.json', report: 'report.md', gradescope: 'gradescope-results.json', junit: 'junit.xml' } as const;

export function writeStudentOutputs(outDir: string, result: GradeResult): void {
  writeFileAtomic(path.join(outDir, STUDENT_FILES.report), renderMarkdown(result));
  const gradescope = validateGradescope(toGradescope(result), 'the Gradescope results');
  writeFileAtomic(path.join(outDir, STUDENT_FILES.gradescope), `${JSON.stringify(gradescope, null, 2)}\n`);
  writeFileAtomic(path.join(outDir, STUDENT_FILES.junit), renderJunit(result));
  writeResultJson(path.join(outDir, STUDENT_FILES.result), result);
}
