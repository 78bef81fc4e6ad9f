/** The options every grading command shares: which labs and checks, backend, data, sandbox, report language. */
import type { Command } from 'commander';
import { labs, selectLabs } from '../../graders/index.js';
import type { LabDefinition } from '../engine/lab-definition.js';
import type { GradeLabOptions } from '../engine/grade-lab.js';
import { BACKEND_CHOICES, parseBackendChoice } from '../backends/backends.js';
import { datasetsDir } from '../data/datasets-dir.js';
import { LANGS, parseLang, type Lang } from '../report/report-view.js';
import { readRoster, type Roster } from '../submission/roster.js';
import { chooseSandbox, type SandboxChoice } from './sandbox-choice.js';
import path from 'node:path';

export interface GradingOptionValues {
  lab?: string[];
  publicOnly?: boolean;
  lang?: string;
  backend?: string;
  data?: string;
  holdout?: string;
  skipTraining?: boolean;
  sandbox?: string;
  roster?: string;
}

/** Backend, data, sandbox and training options: `check` has them too. */
export function withRunOptions(command: Command, sandboxDefault: string): Command {
  return command
    .option('--backend <name>', `tfjs backend for submissions (${BACKEND_CHOICES.join(', ')}); auto takes the fastest that works here`, 'auto')
    .option('--data <dir>', 'datasets folder holding signs/ (default: $LABGRADE_DATA, else the shared folder\'s datasets/)')
    .option('--sandbox <kind>', `bwrap (bubblewrap around Node's permission model) or node (the permission model alone); default: ${sandboxDefault}`)
    .option('--skip-training', 'do not run the training checks (they are reported as skipped and score nothing)');
}

export function withGradingOptions(command: Command): Command {
  return withRunOptions(command, 'bwrap, which must be installed (apt-get install bubblewrap)')
    .option('--lab <id...>', `grade only these labs (${labs.map((l) => l.id).join(', ')})`)
    .option('--public-only', 'run only the public checks')
    .option('--holdout <dir>', "an instructor's held-out SIGNS images (<label>_*.jpg, or one .h5): they decide the trained model's points")
    .option('--roster <file>', 'roster.csv (folder,id,name,email): who each submission folder belongs to; wins over student.json')
    .option('--lang <lang>', `language of the reports (${LANGS.join(', ')})`, 'en');
}

export function runSettings(values: GradingOptionValues, sandbox: SandboxChoice): Pick<GradeLabOptions, 'backend' | 'dataDir' | 'holdoutDir' | 'skipTraining' | 'sandbox'> & { sandboxNote?: string } {
  return {
    backend: parseBackendChoice(values.backend ?? 'auto'),
    dataDir: datasetsDir(values.data),
    ...(values.holdout ? { holdoutDir: path.resolve(values.holdout) } : {}),
    skipTraining: values.skipTraining ?? false,
    sandbox: sandbox.kind,
    ...(sandbox.note ? { sandboxNote: sandbox.note } : {}),
  };
}

export function gradingSettings(values: GradingOptionValues, submissionDirs: readonly string[]): ReturnType<typeof runSettings> & GradeLabOptions & { labs: LabDefinition[]; lang: Lang; roster?: Roster } {
  const sandbox = chooseSandbox(values.sandbox, 'grade', submissionDirs);
  return {
    labs: selectLabs(values.lab),
    checks: values.publicOnly ? 'public' : 'all',
    lang: parseLang(values.lang),
    ...(values.roster ? { roster: readRoster(values.roster) } : {}),
    ...runSettings(values, sandbox),
  };
}
