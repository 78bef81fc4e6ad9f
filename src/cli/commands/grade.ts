/** `labgrade grade <submission-dir> --out <dir>`: an instructor grades one submission folder. */
import path from 'node:path';
import type { Command } from 'commander';
import { gradeSubmission, openSubmission } from '../../engine/grade-submission.js';
import { writeStudentOutputs } from '../../report/student-outputs.js';
import { terminalText } from '../../report/terminal.js';
import { gradingSettings, withGradingOptions, type GradingOptionValues } from '../grading-options.js';

interface GradeOptions extends GradingOptionValues {
  out: string;
}

export function registerGrade(program: Command, setExitCode: (code: number) => void): void {
  const command = program
    .command('grade')
    .description('grade a submission folder; writes result.json, report.md, report.html, gradescope-results.json and junit.xml to <out>')
    .argument('<submission-dir>', 'folder holding the lab files (and optionally student.json)')
    .requiredOption('--out <dir>', 'folder for result.json and report.md');
  withGradingOptions(command).action(async (dir: string, options: GradeOptions) => {
    const { labs, lang, ...grading } = gradingSettings(options, [dir]);
    const result = await gradeSubmission(openSubmission(dir), labs, grading);
    const out = path.resolve(options.out);
    await writeStudentOutputs(out, result, lang);
    const who = result.student ? `${terminalText(result.student.id)}: ` : '';
    process.stdout.write(`${who}${result.total.points} / ${result.total.maxPoints} points; wrote ${path.join(out, 'result.json')}, report.md, report.html, gradescope-results.json and junit.xml\n`);
    setExitCode(0);
  });
}
