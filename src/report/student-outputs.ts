/** Everything written for one graded submission; result.json goes last, so its presence means "complete". */
import path from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import type { GradeResult } from '../engine/model.js';
import { toGradescope, validateGradescope } from './gradescope.js';
import { renderJunit } from './junit.js';
import { renderHtml, renderMarkdown } from './templates.js';
import type { Lang } from './report-view.js';
import { writeResultJson } from './result-json.js';

export const STUDENT_FILES = { result: 'result.json', report: 'report.md', html: 'report.html', gradescope: 'gradescope-results.json', junit: 'junit.xml' } as const;

/** The lab reports (Markdown and HTML), which depend on the language and nothing but the result. */
export async function writeReports(outDir: string, result: GradeResult, lang: Lang = 'en'): Promise<void> {
  writeFileAtomic(path.join(outDir, STUDENT_FILES.report), renderMarkdown(result, lang));
  writeFileAtomic(path.join(outDir, STUDENT_FILES.html), await renderHtml(result, lang));
}

export async function writeStudentOutputs(outDir: string, result: GradeResult, lang: Lang = 'en'): Promise<void> {
  await writeReports(outDir, result, lang);
  const gradescope = validateGradescope(toGradescope(result), 'the Gradescope results');
  writeFileAtomic(path.join(outDir, STUDENT_FILES.gradescope), `${JSON.stringify(gradescope, null, 2)}\n`);
  writeFileAtomic(path.join(outDir, STUDENT_FILES.junit), renderJunit(result));
  writeResultJson(path.join(outDir, STUDENT_FILES.result), result);
}
