/** `labgrade merge <dirs...> --out <dir>`: joins the outputs of sharded class runs into one class. */
import { cpSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { STUDENTS_DIR } from '../../class/grade-class.js';
import { readClass, writeClassOutputs, CLASS_FILES, type ClassEntry } from '../../class/class-outputs.js';
import { UsageError } from '../../errors.js';
import { LANGS, parseLang } from '../../i18n/messages.js';
import { manifestHash } from '../../submission/submission-files.js';
import { loadCourseConfig } from '../../config/course-config.js';

/** What must agree across shards for their union to be one class run. */
function runSettings(entry: ClassEntry): string {
  const r = entry.result;
  const u = entry.ungradable;
  const version = r?.labgradeVersion ?? u?.labgradeVersion;
  const checks = r?.checks ?? u?.checks;
  const labs = r ? r.labs.map((l) => l.id).join(',') : u?.labs.join(',');
  return `labgrade ${version}, ${checks} checks, labs ${labs}`;
}

const contentHash = (e: ClassEntry) => e.result?.submission.contentHash ?? (e.ungradable?.manifest ? manifestHash(e.ungradable.manifest) : undefined);

export function registerMerge(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('merge')
    .description('join the output folders of sharded grade-class runs into one class result')
    .argument('<dirs...>', 'output folders of grade-class runs')
    .requiredOption('--out <dir>', 'a new or empty folder for the merged class')
    .option('--lang <lang>', `language of the class summary (${LANGS.join(', ')})`, 'en')
    .option('--config <file>', 'labgrade.config.json, for its similarity threshold (default: ./labgrade.config.json where there is one)')
    .action(async (dirs: string[], options: { out: string; lang?: string; config?: string }) => {
      const config = loadCourseConfig(options.config);
      const out = path.resolve(options.out);
      if (existsSync(out) && readdirSync(out).length > 0) throw new UsageError(`${out} is not empty; merge into a new folder`);
      const seen = new Map<string, { dir: string; entry: ClassEntry }>();
      let settings: { dir: string; text: string } | undefined;
      for (const dir of dirs.map((d) => path.resolve(d))) {
        if (!existsSync(path.join(dir, STUDENTS_DIR))) throw new UsageError(`${dir} is not a grade-class output folder (it has no ${STUDENTS_DIR}/)`);
        for (const entry of readClass(dir)) {
          const text = runSettings(entry);
          settings ??= { dir, text };
          if (text !== settings.text) throw new UsageError(`the runs differ: ${settings.dir} has ${settings.text}, ${dir} has ${text} (${entry.folder})`);
          const earlier = seen.get(entry.folder);
          if (earlier && contentHash(earlier.entry) !== contentHash(entry)) {
            throw new UsageError(`student ${entry.folder} was graded from different submissions in ${earlier.dir} and ${dir}`);
          }
          if (!earlier) cpSync(path.join(dir, STUDENTS_DIR, entry.folder), path.join(out, STUDENTS_DIR, entry.folder), { recursive: true });
          seen.set(entry.folder, { dir, entry });
        }
      }
      const summary = await writeClassOutputs(out, { lang: parseLang(options.lang), similarityThreshold: config.similarityThreshold });
      process.stdout.write(`merged ${seen.size} students from ${dirs.length} folders into ${out}: mean ${summary.meanPercent}%; wrote ${Object.values(CLASS_FILES).join(', ')}\n`);
      setExitCode(0);
    });
}
