/** The options every grading command shares: which labs and checks, backend, data, sandbox, report language. */
import type { Command } from 'commander';
import { labs, selectLabs } from '../../graders/index.js';
import type { LabDefinition } from '../engine/lab-definition.js';
import type { GradeLabOptions } from '../engine/lab-context.js';
import { BACKEND_CHOICES, parseBackendChoice } from '../backends/choice.js';
import { datasetsDir } from '../data/datasets-dir.js';
import { LANGS, parseLang, type Lang } from '../i18n/messages.js';
import { parseSubmittedAt, readRoster, type Roster } from '../submission/roster.js';
import { loadCourseConfig, withConfiguredPoints, type CourseConfig } from '../config/course-config.js';
import type { LateRules } from '../engine/scoring.js';
import { chromiumForPdf } from '../report/pdf.js';
import type { ReportOptions } from '../report/student-outputs.js';
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
  config?: string;
  pdf?: boolean;
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
    .option('--roster <file>', 'roster.csv (folder,id,name,email[,class,submitted_at]): who each submission folder belongs to (wins over student.json), and when it was handed in')
    .option('--pdf', "also print each report as report.pdf with the system's headless Chromium")
    .option('--config <file>', 'labgrade.config.json: labs, points, visibility, deadlines, late policy (default: ./labgrade.config.json where there is one)')
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

export interface GradingSettings extends ReturnType<typeof runSettings>, GradeLabOptions {
  labs: LabDefinition[];
  lang: Lang;
  roster?: Roster;
  config: CourseConfig;
  lateRules?: LateRules;
}

export function gradingSettings(values: GradingOptionValues, submissionDirs: readonly string[]): GradingSettings {
  const sandbox = chooseSandbox(values.sandbox, 'grade', submissionDirs);
  const config = loadCourseConfig(values.config);
  return {
    labs: withConfiguredPoints(selectLabs(values.lab ?? config.labs), config),
    checks: values.publicOnly ? 'public' : 'all',
    lang: parseLang(values.lang),
    config,
    ...(config.deadlines ? { lateRules: { deadlines: config.deadlines, ...(config.latePolicy ? { policy: config.latePolicy } : {}) } } : {}),
    ...(values.roster ? { roster: readRoster(values.roster) } : {}),
    ...runSettings(values, sandbox),
  };
}

/** `--pdf`: the Chromium that prints, or a warning that none can (everything else is still written). */
export function pdfOption(wanted: boolean | undefined, warn: (line: string) => void): ReportOptions['pdf'] {
  if (!wanted) return undefined;
  const chromium = chromiumForPdf();
  if ('missing' in chromium) {
    warn(`labgrade: warning: --pdf: ${chromium.missing}`);
    return undefined;
  }
  let warned = false;
  return {
    chromium: chromium.path,
    onFailure: (reason) => {
      if (!warned) warn(`labgrade: warning: --pdf: ${reason} (the other files are written)`);
      warned = true;
    },
  };
}

/** `--submitted-at`, checked. */
export function submittedAtOption(text: string | undefined): { submittedAt?: string } {
  return text === undefined ? {} : { submittedAt: parseSubmittedAt(text, '--submitted-at') };
}
