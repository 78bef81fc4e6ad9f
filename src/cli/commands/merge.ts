/** `labgrade merge <dirs...> --out <dir>`: joins the outputs of sharded class runs into one class. */
import { cpSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { STUDENTS_DIR } from '../../class/grade-class.js';
import { readClass, writeClassOutputs, CLASS_FILES } from '../../class/class-outputs.js';
import { UsageError } from '../../errors.js';
import { LANGS, parseLang } from '../../report/report-view.js';

function contentHashOf(dir: string, folder: string): string | undefined {
  const entry = readClass(dir).find((e) => e.folder === folder);
  return entry?.result?.submission.contentHash ?? entry?.ungradable?.contentHash;
}

export function registerMerge(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('merge')
    .description('join the output folders of sharded grade-class runs into one class result')
    .argument('<dirs...>', 'output folders of grade-class runs')
    .requiredOption('--out <dir>', 'folder for the merged class')
    .option('--lang <lang>', `language of the class summary (${LANGS.join(', ')})`, 'en')
    .action(async (dirs: string[], options: { out: string; lang?: string }) => {
      const out = path.resolve(options.out);
      const owner = new Map<string, string>();
      for (const dir of dirs.map((d) => path.resolve(d))) {
        const students = path.join(dir, STUDENTS_DIR);
        if (!existsSync(students)) throw new UsageError(`${dir} is not a grade-class output folder (it has no ${STUDENTS_DIR}/)`);
        for (const folder of readdirSync(students)) {
          const earlier = owner.get(folder);
          if (earlier && contentHashOf(earlier, folder) !== contentHashOf(dir, folder)) {
            throw new UsageError(`student ${folder} was graded from different submissions in ${earlier} and ${dir}`);
          }
          owner.set(folder, dir);
          if (dir !== out) cpSync(path.join(students, folder), path.join(out, STUDENTS_DIR, folder), { recursive: true });
        }
      }
      const summary = await writeClassOutputs(out, parseLang(options.lang));
      process.stdout.write(`merged ${owner.size} students from ${dirs.length} folders into ${out}: mean ${summary.meanPercent}%; wrote ${Object.values(CLASS_FILES).join(', ')}\n`);
      setExitCode(0);
    });
}
