/** `labgrade grade <submission-dir> --out <dir>`: an instructor grades one submission folder. */
import path from 'node:path';
import type { Command } from 'commander';
import { labs as allLabs, selectLabs } from '../../../graders/index.js';
import { gradeSubmission } from '../../engine/grade-submission.js';
import { writeStudentOutputs } from '../../report/student-outputs.js';
import { LANGS, parseLang } from '../../report/report-view.js';

interface GradeOptions {
  out: string;
  lab?: string[];
  publicOnly?: boolean;
  lang?: string;
}

export function registerGrade(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('grade')
    .description('grade a submission folder; writes result.json, report.md, report.html, gradescope-results.json and junit.xml to <out>')
    .argument('<submission-dir>', 'folder holding the lab files (and optionally student.json)')
    .requiredOption('--out <dir>', 'folder for result.json and report.md')
    .option('--lab <id...>', `grade only these labs (${allLabs.map((l) => l.id).join(', ')})`)
    .option('--public-only', 'run only the public checks')
    .option('--lang <lang>', `language of the reports (${LANGS.join(', ')})`, 'en')
    .action(async (dir: string, options: GradeOptions) => {
      const result = await gradeSubmission(dir, selectLabs(options.lab), { checks: options.publicOnly ? 'public' : 'all' });
      const out = path.resolve(options.out);
      await writeStudentOutputs(out, result, parseLang(options.lang));
      const who = result.student ? `${result.student.id}: ` : '';
      process.stdout.write(`${who}${result.total.points} / ${result.total.maxPoints} points; wrote ${path.join(out, 'result.json')}, report.md, report.html, gradescope-results.json and junit.xml\n`);
      setExitCode(0);
    });
}
