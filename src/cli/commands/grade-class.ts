/** `labgrade grade-class <submissions-dir> --out <dir>`: grades every sub-folder as one student's submission. */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { gradeClass, listStudents, parseShard, type StudentOutcome } from '../../class/grade-class.js';
import { terminalText } from '../../report/terminal.js';
import { writeClassOutputs, CLASS_FILES } from '../../class/class-outputs.js';
import { UsageError } from '../../errors.js';
import { gradingSettings, pdfOption, withGradingOptions, type GradingOptionValues } from '../grading-options.js';


interface ClassCommandOptions extends GradingOptionValues {
  out: string;
  jobs?: string;
  shard?: string;
  force?: boolean;
  fixedLimits?: boolean;
}

function describe(o: StudentOutcome): string {
  const how = o.kept ? 'unchanged, kept' : `${(o.durationMs / 1000).toFixed(1)} s`;
  // Folder names and reasons come from submissions: no control characters reach the terminal.
  if (o.status === 'ungradable') return terminalText(`${o.folder}: could not be graded (${how}): ${o.reason?.split('\n')[0]}`);
  return terminalText(`${o.folder}: ${o.points} / ${o.maxPoints} (${how})`);
}

/** A progress bar on a terminal; plain lines elsewhere (CI logs). */
function progressReporter(): (o: StudentOutcome, done: number, total: number) => void {
  if (!process.stderr.isTTY) return (o, done, total) => process.stdout.write(`[${done}/${total}] ${describe(o)}\n`);
  return (o, done, total) => {
    const width = 30;
    const filled = Math.round((done / total) * width);
    process.stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${describe(o).slice(0, 60).padEnd(60)}`);
    if (done === total) process.stderr.write('\n');
  };
}

export function registerGradeClass(program: Command, setExitCode: (code: number) => void): void {
  const command = program
    .command('grade-class')
    .description('grade every sub-folder of <submissions-dir> (one per student); resumable, shardable')
    .argument('<submissions-dir>', 'folder with one sub-folder per student')
    .requiredOption('--out <dir>', 'output folder: students/<folder>/..., class.json, gradebook.csv, junit.xml, summary.md')
    .option('--jobs <n>', 'students graded at once (default: the number of cores)')
    .option('--shard <k/n>', 'grade only shard k of n (for a CI job matrix; join with `labgrade merge`)')
    .option('--force', 'regrade students whose submission is unchanged')
    .option('--fixed-limits', "keep the labs' fixed time limits instead of deriving them from the reference solution's own time here");
  withGradingOptions(command).action(async (dir: string, options: ClassCommandOptions) => {
    const jobs = options.jobs === undefined ? os.availableParallelism() : Number(options.jobs);
    if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs must be a positive integer, got "${options.jobs}"`);
    const out = path.resolve(options.out);
    const folders = listStudents(dir).map((folder) => path.join(dir, folder));
    const settings = gradingSettings(options, folders);
    if (!options.lab && !settings.config.labs) {
      // A class is graded on the labs it was assigned: without --lab or a config naming them, those some student submitted.
      const submitted = settings.labs.filter((lab) => folders.some((folder) => existsSync(path.join(folder, lab.file))));
      settings.labs = submitted.length > 0 ? submitted : settings.labs;
      process.stdout.write(`Grading ${settings.labs.map((l) => l.id).join(', ')}: the labs some student submitted (--lab or the config's labs name others).\n`);
    }
    if (settings.lateRules && !folders.some((folder) => settings.roster?.get(path.basename(folder))?.submittedAt)) {
      process.stderr.write('labgrade: warning: the config has deadlines, but no roster gives a submitted_at for any student: no late policy is applied (reports say so)\n');
    }
    const outcomes = await gradeClass(path.resolve(dir), out, {
      ...settings,
      visibility: settings.config.visibility,
      pdf: pdfOption(options.pdf, (line) => process.stderr.write(`${line}\n`)),
      jobs,
      shard: options.shard ? parseShard(options.shard) : undefined,
      force: options.force,
      calibrate: !options.fixedLimits,
      onCalibrated: (lab, limits, referenceMs) =>
        process.stdout.write(`${lab.id}: time limits from the reference's ${(referenceMs / 1000).toFixed(1)} s here: ${Math.round(limits.labMs / 1000)} s a lab${limits.perExercise?.model ? `, ${Math.round(limits.perExercise.model / 1000)} s for training` : ''}\n`),
      onProgress: progressReporter(),
    });
    const summary = await writeClassOutputs(out, { lang: settings.lang, similarityThreshold: settings.config.similarityThreshold });
    const count = (p: (o: StudentOutcome) => boolean) => outcomes.filter(p).length;
    process.stdout.write(
      `${outcomes.length} students: ${count((o) => !o.kept && o.status === 'graded')} graded now, ${count((o) => o.kept)} unchanged and kept, ${count((o) => o.status === 'ungradable')} could not be graded. ` +
        `Class (${summary.students} in ${out}): mean ${summary.meanPercent}%, median ${summary.medianPercent}%. Wrote ${Object.values(CLASS_FILES).join(', ')}.\n`,
    );
    for (const duplicate of summary.duplicateIds) {
      process.stderr.write(terminalText(`labgrade: warning: student id ${duplicate.id} is claimed by ${duplicate.folders.length} folders (${duplicate.folders.join(', ')}); see summary.md`) + '\n');
    }
    setExitCode(0);
  });
}
