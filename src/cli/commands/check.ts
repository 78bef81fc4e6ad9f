/** `labgrade check <file>`: a student runs the public checks on one lab file and reads the feedback. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { labs } from '../../../graders/index.js';
import { gradeLab } from '../../engine/grade-lab.js';
import { openSubmission } from '../../engine/grade-submission.js';
import { UsageError } from '../../errors.js';
import { langFromLocale, LANGS, parseLang } from '../../i18n/messages.js';
import { renderCheckFeedback } from '../../report/terminal.js';
import { runSettings, withRunOptions, type GradingOptionValues } from '../grading-options.js';
import { chooseSandbox } from '../sandbox-choice.js';

export function registerCheck(program: Command, setExitCode: (code: number) => void): void {
  const command = program
    .command('check')
    .description('run the public checks on your lab file (e.g. conv-step-by-step.ts) and show feedback')
    .argument('<file>', 'your lab file')
    .option('--json', 'print the lab result as JSON instead of text')
    .option('--lang <lang>', `language of the feedback (${LANGS.join(', ')}; default: the terminal's locale, LANG)`);
  withRunOptions(command, "node (your own code on your own machine: Node's permission model)").action(async (file: string, options: GradingOptionValues & { json?: boolean }) => {
    const lang = options.lang === undefined ? langFromLocale() : parseLang(options.lang);
    const resolved = path.resolve(file);
    if (!existsSync(resolved)) throw new UsageError(`${file} does not exist`);
    const lab = labs.find((l) => l.file === path.basename(resolved));
    if (!lab) throw new UsageError(`${path.basename(file)} is not a lab file; labgrade checks ${labs.map((l) => l.file).join(', ')}`);
    const settings = runSettings(options, chooseSandbox(options.sandbox, 'check'));
    const result = await gradeLab(lab, openSubmission(path.dirname(resolved)), { checks: 'public', ...settings });
    process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : renderCheckFeedback(result, lang));
    // A missing function has no passing checks either: every exercise must pass.
    const allPassed = result.status === 'graded' && result.exercises.every((e) => e.status === 'passed');
    setExitCode(allPassed ? 0 : 1);
  });
}
