/** Everything written for one graded submission; result.json goes last, so its presence means "complete". */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import type { GradeResult } from '../contract/result.js';
import { toGradescope, validateGradescope } from './gradescope.js';
import { renderJunit } from './junit.js';
import { renderHtml, renderMarkdown } from './templates.js';
import type { Lang } from '../i18n/messages.js';
import type { CourseConfig } from '../config/course-config.js';
import { printPdf } from './pdf.js';

/** How reports are presented: their language, when Gradescope shows each kind of test, and a PDF. */
export interface ReportOptions {
  lang?: Lang;
  visibility?: CourseConfig['visibility'];
  /** Print report.pdf with this Chromium; `onFailure` hears why, where it could not. */
  pdf?: { chromium: string; onFailure: (reason: string) => void };
}
import { writeResultJson } from './result-json.js';

export const STUDENT_FILES = { result: 'result.json', report: 'report.md', html: 'report.html', pdf: 'report.pdf', gradescope: 'gradescope-results.json', junit: 'junit.xml' } as const;

/** The reports (Markdown, HTML, Gradescope's), which depend on nothing but the result and how it is presented. */
export async function writeReports(outDir: string, result: GradeResult, options: ReportOptions = {}): Promise<void> {
  const lang = options.lang ?? 'en';
  writeFileAtomic(path.join(outDir, STUDENT_FILES.report), renderMarkdown(result, lang));
  const htmlFile = path.join(outDir, STUDENT_FILES.html);
  const html = await renderHtml(result, lang);
  // A report rendered again unchanged (a kept student) keeps its PDF: Chromium takes a second or two a page.
  const pdfCurrent = existsSync(path.join(outDir, STUDENT_FILES.pdf)) && existsSync(htmlFile) && readFileSync(htmlFile, 'utf8') === html;
  writeFileAtomic(htmlFile, html);
  if (options.pdf && !pdfCurrent) {
    const printed = await printPdf(options.pdf.chromium, path.join(outDir, STUDENT_FILES.html), path.join(outDir, STUDENT_FILES.pdf));
    if (!printed.written) options.pdf.onFailure(printed.reason);
  }
  const gradescope = validateGradescope(toGradescope(result, options.visibility, lang), 'the Gradescope results');
  writeFileAtomic(path.join(outDir, STUDENT_FILES.gradescope), `${JSON.stringify(gradescope, null, 2)}\n`);
}

export async function writeStudentOutputs(outDir: string, result: GradeResult, options: ReportOptions = {}): Promise<void> {
  await writeReports(outDir, result, options);
  writeFileAtomic(path.join(outDir, STUDENT_FILES.junit), renderJunit(result));
  writeResultJson(path.join(outDir, STUDENT_FILES.result), result);
}
