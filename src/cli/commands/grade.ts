/** `labgrade grade <submission-dir> --out <dir>`: an instructor grades one submission folder. */
import path from 'node:path';
import type { Command } from 'commander';
import { labs as allLabs, findLab } from '../../../graders/index.js';
import { gradeSubmission } from '../../engine/grade-submission.js';
import { UsageError } from '../../errors.js';
import { writeFileAtomic } from '../../atomic-write.js';
import { renderMarkdown } from '../../report/markdown.js';
import { writeResultJson } from '../../report/result-json.js';

interface GradeOptions {
  out: string;
  lab?: string[];
  publicOnly?: boolean;
}

export function registerGrade(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('grade')
    .description('grade a submission folder; writes <out>/result.json and <out>/report.md')
    .argument('<submission-dir>', 'folder holding the lab files (and optionally student.json)')
    .requiredOption('--out <dir>', 'folder for result.json and report.md')
    .option('--lab <id...>', `grade only these labs (${allLabs.map((l) => l.id).join(', ')})`)
    .option('--public-only', 'run only the public checks')
    .action(async (dir: string, options: GradeOptions) => {
      const labs = (options.lab ?? allLabs.map((l) => l.id)).map((id) => {
        const lab = findLab(id);
        if (!lab) throw new UsageError(`unknown lab "${id}"; labs: ${allLabs.map((l) => l.id).join(', ')}`);
        return lab;
      });
      const result = await gradeSubmission(dir, labs, { checks: options.publicOnly ? 'public' : 'all' });
      const out = path.resolve(options.out);
      writeResultJson(path.join(out, 'result.json'), result);
      writeFileAtomic(path.join(out, 'report.md'), renderMarkdown(result));
      const who = result.student ? `${result.student.id}: ` : '';
      process.stdout.write(`${who}${result.total.points} / ${result.total.maxPoints} points; wrote ${path.join(out, 'result.json')} and report.md\n`);
      setExitCode(0);
    });
}
