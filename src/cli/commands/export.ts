/** `labgrade export canvas|moodle|csv <graded-dir> --out <file>`: a gradebook for the LMS, from a graded class. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { readClass } from '../../class/class-outputs.js';
import { STUDENTS_DIR } from '../../class/grade-class.js';
import { writeFileAtomic } from '../../atomic-write.js';
import { UsageError } from '../../errors.js';
import { EXPORT_FORMATS, exportGradebook, type ExportFormat } from '../../platforms/lms-export.js';
import { terminalText } from '../../report/terminal.js';
import { readRoster } from '../../submission/roster.js';

export function registerExport(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('export')
    .description('write a graded class as a gradebook to import into Canvas or Moodle, or as plain CSV')
    .argument('<format>', EXPORT_FORMATS.join(', '))
    .argument('<graded-dir>', 'the --out folder of grade-class (or merge)')
    .requiredOption('--out <file>', 'the CSV file to write')
    .option('--roster <file>', 'roster.csv (folder,id,name,email[,class]): who each folder is; without it, the identities recorded at grading')
    .action((format: string, dir: string, options: { out: string; roster?: string }) => {
      if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`unknown export format "${format}"; formats: ${EXPORT_FORMATS.join(', ')}`);
      if (!existsSync(path.join(dir, STUDENTS_DIR))) throw new UsageError(`${dir} is not a grade-class output folder (it has no ${STUDENTS_DIR}/)`);
      const roster = options.roster ? readRoster(options.roster) : undefined;
      const exported = exportGradebook(format as ExportFormat, readClass(dir), roster);
      const out = path.resolve(options.out);
      writeFileAtomic(out, exported.text);
      process.stdout.write(`Wrote ${exported.rows} students to ${out} (${format}).\n`);
      if (!roster) process.stdout.write('Identities are those recorded at grading (a roster, or the students\' own student.json): give --roster to match through yours.\n');
      if (exported.notSubmitted.length > 0) {
        process.stdout.write(terminalText(`${exported.notSubmitted.length} on the roster with no graded submission (empty grades, which an import leaves alone): ${exported.notSubmitted.join(', ')}`) + '\n');
      }
      for (const u of exported.unmatched) process.stderr.write(terminalText(`labgrade: not exported: ${u.folder}: ${u.why}`) + '\n');
      setExitCode(0);
    });
}
