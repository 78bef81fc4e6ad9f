/** The options every grading command shares: which labs and checks, backend, data, report language. */
import type { Command } from 'commander';
import { labs, selectLabs } from '../../graders/index.js';
import type { LabDefinition } from '../engine/lab-definition.js';
import type { GradeLabOptions } from '../engine/grade-lab.js';
import { BACKEND_CHOICES, parseBackendChoice } from '../backends/backends.js';
import { datasetsDir } from '../data/datasets-dir.js';
import { LANGS, parseLang, type Lang } from '../report/report-view.js';

export interface GradingOptionValues {
  lab?: string[];
  publicOnly?: boolean;
  lang?: string;
  backend?: string;
  data?: string;
  skipTraining?: boolean;
}

/** Backend, data and training options: `check` has them too. */
export function withRunOptions(command: Command): Command {
  return command
    .option('--backend <name>', `tfjs backend for submissions (${BACKEND_CHOICES.join(', ')}); auto takes the fastest that works here`, 'auto')
    .option('--data <dir>', 'datasets folder holding signs/ (default: $LABGRADE_DATA, else the shared folder\'s datasets/)')
    .option('--skip-training', 'do not run the training checks (they are reported as skipped and score nothing)');
}

export function withGradingOptions(command: Command): Command {
  return withRunOptions(command)
    .option('--lab <id...>', `grade only these labs (${labs.map((l) => l.id).join(', ')})`)
    .option('--public-only', 'run only the public checks')
    .option('--lang <lang>', `language of the reports (${LANGS.join(', ')})`, 'en');
}

export function runSettings(values: GradingOptionValues): Pick<GradeLabOptions, 'backend' | 'dataDir' | 'skipTraining'> {
  return { backend: parseBackendChoice(values.backend ?? 'auto'), dataDir: datasetsDir(values.data), skipTraining: values.skipTraining ?? false };
}

export function gradingSettings(values: GradingOptionValues): GradeLabOptions & { labs: LabDefinition[]; lang: Lang } {
  return { labs: selectLabs(values.lab), checks: values.publicOnly ? 'public' : 'all', lang: parseLang(values.lang), ...runSettings(values) };
}
