/** The options every grading command shares: which labs, which checks, which report language. */
import type { Command } from 'commander';
import { labs, selectLabs } from '../../graders/index.js';
import type { LabDefinition } from '../engine/lab-definition.js';
import { LANGS, parseLang, type Lang } from '../report/report-view.js';

export interface GradingOptionValues {
  lab?: string[];
  publicOnly?: boolean;
  lang?: string;
}

export function withGradingOptions(command: Command): Command {
  return command
    .option('--lab <id...>', `grade only these labs (${labs.map((l) => l.id).join(', ')})`)
    .option('--public-only', 'run only the public checks')
    .option('--lang <lang>', `language of the reports (${LANGS.join(', ')})`, 'en');
}

export function gradingSettings(values: GradingOptionValues): { labs: LabDefinition[]; checks: 'all' | 'public'; lang: Lang } {
  return { labs: selectLabs(values.lab), checks: values.publicOnly ? 'public' : 'all', lang: parseLang(values.lang) };
}
