/** labgrade's command line. Exit codes: 0 ran, 1 labgrade itself failed, 2 bad usage (check: 1 also when a check failed). */
import { Command, CommanderError } from 'commander';
import { labgradeVersion } from '../paths.js';
import { UsageError } from '../errors.js';
import { SchemaError } from '../schema.js';
import { registerCheck } from './commands/check.js';
import { registerGrade } from './commands/grade.js';
import { registerFixtures } from './commands/fixtures.js';
import { registerGradeClass } from './commands/grade-class.js';
import { registerMerge } from './commands/merge.js';
import { registerKit } from './commands/kit.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerTrain } from './commands/train.js';
import { registerExport } from './commands/export.js';
import { registerGradescope } from './commands/gradescope.js';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('labgrade')
    .description('Autograder for the CNN labs: convolution step by step, convolution application, residual networks')
    .version(labgradeVersion)
    .exitOverride()
    .showHelpAfterError('(run labgrade --help for usage)');
  let exitCode = 0;
  const setExitCode = (code: number) => {
    exitCode = code;
  };
  registerCheck(program, setExitCode);
  registerGrade(program, setExitCode);
  registerGradeClass(program, setExitCode);
  registerMerge(program, setExitCode);
  registerExport(program, setExitCode);
  registerGradescope(program, setExitCode);
  registerKit(program, setExitCode);
  registerEvaluate(program, setExitCode);
  registerTrain(program, setExitCode);
  registerFixtures(program, setExitCode);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : 2;
    }
    if (err instanceof UsageError || err instanceof SchemaError) {
      process.stderr.write(`labgrade: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`labgrade: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}
