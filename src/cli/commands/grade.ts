/** `labgrade grade <submission-dir> --out <dir>`: an instructor grades one submission folder. */
import path from 'node:path';
import type { Command } from 'commander';
import { gradeSubmission, openSubmission } from '../../engine/grade-submission.js';
import { existsSync } from 'node:fs';
import { readGradescopeMetadata, withAssignmentDeadline } from '../../platforms/gradescope-metadata.js';
import { STUDENT_FILES, writeStudentOutputs } from '../../report/student-outputs.js';
import { terminalText } from '../../report/terminal.js';
import { gradingSettings, pdfOption, submittedAtOption, withGradingOptions, type GradingOptionValues } from '../grading-options.js';

interface GradeOptions extends GradingOptionValues {
  out: string;
  submittedAt?: string;
  gradescopeMetadata?: string;
}

export function registerGrade(program: Command, setExitCode: (code: number) => void): void {
  const command = program
    .command('grade')
    .description('grade a submission folder; writes result.json, report.md, report.html, gradescope-results.json and junit.xml to <out>')
    .argument('<submission-dir>', 'folder holding the lab files (and optionally student.json)')
    .requiredOption('--out <dir>', 'folder for result.json and report.md')
    .option('--submitted-at <time>', "when the submission was handed in (ISO 8601 with a time zone), for the config's late policy")
    .option('--gradescope-metadata <file>', "Gradescope's submission_metadata.json: its created_at and the assignment's due date decide lateness");
  withGradingOptions(command).action(async (dir: string, options: GradeOptions) => {
    const { labs, lang, config, ...grading } = gradingSettings(options, [dir]);
    const pdf = pdfOption(options.pdf, (line) => process.stderr.write(`${line}\n`));
    const timing = options.gradescopeMetadata ? readGradescopeMetadata(options.gradescopeMetadata) : {};
    const lateRules = withAssignmentDeadline(grading.lateRules, labs, timing);
    const submittedAt = submittedAtOption(options.submittedAt).submittedAt ?? timing.submittedAt;
    const result = await gradeSubmission(openSubmission(dir), labs, { ...grading, ...(lateRules ? { lateRules } : {}), ...(submittedAt ? { submittedAt } : {}) });
    const out = path.resolve(options.out);
    await writeStudentOutputs(out, result, { lang, visibility: config.visibility, pdf });
    const who = result.student ? `${terminalText(result.student.id)}: ` : '';
    const written = existsSync(path.join(out, STUDENT_FILES.pdf)) && pdf ? ', report.pdf' : '';
    process.stdout.write(`${who}${result.total.points} / ${result.total.maxPoints} points; wrote ${path.join(out, 'result.json')}, report.md, report.html${written}, gradescope-results.json and junit.xml\n`);
    setExitCode(0);
  });
}
