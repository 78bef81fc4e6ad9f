/**
 * What a lab report shows, computed once from a finished result and rendered by the Handlebars
 * templates in reports/templates (Markdown and HTML alike). Reporters never score: this only reads.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CheckResult, GradeResult, LateRecord, TrainingMetrics } from '../contract/result.js';
import { formatMessage, type Lang } from '../i18n/messages.js';
import { localized } from './localized.js';
import { projectRoot } from '../paths.js';
import { visibleStrings } from './markdown-text.js';

export type Labels = Record<string, string> & { statuses: Record<string, string>; marks: Record<string, string> };

const labelCache = new Map<Lang, Labels>();

export function labels(lang: Lang): Labels {
  let found = labelCache.get(lang);
  if (!found) {
    found = JSON.parse(readFileSync(path.join(projectRoot, 'reports', 'i18n', `${lang}.json`), 'utf8')) as Labels;
    labelCache.set(lang, found);
  }
  return found;
}

/** A label with its "{name}" arguments filled, as ICU MessageFormat (the labels' own catalogue syntax). */
export function format(template: string, values: Record<string, string | number>): string {
  return formatMessage(template, values);
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);

const accuracy = (x: number | undefined) => (x === undefined ? '–' : x.toFixed(4));

/** What training measured on a public case, in one sentence, plus the cost per epoch for the learning curve (a hidden case's stay with the instructor). */
function trainingView(m: TrainingMetrics, t: Labels) {
  const finite = m.costs.filter((c): c is number => c !== null);
  return {
    line: format(t.trainingLine, {
      train: accuracy(m.trainAccuracy),
      test: accuracy(m.testAccuracy),
      epochs: m.epochs,
      seconds: seconds(m.durationMs),
      backend: m.backend ?? '?',
      first: finite.length ? finite[0].toFixed(4) : '–',
      last: finite.length ? finite[finite.length - 1].toFixed(4) : '–',
    }),
    costs: m.costs,
  };
}

/** What lateness cost a lab, in one sentence (the report's line, and Gradescope's output). */
export function lateText(late: LateRecord, lang: Lang): string {
  const t = labels(lang);
  if (late.submittedAt === undefined) return format(t.lateUnknown, { due: late.dueAt });
  if (late.daysLate === 0) return format(t.lateOnTime, { due: late.dueAt, submitted: late.submittedAt });
  const days = (n: number) => format(n === 1 ? t.dayOne : t.dayMany, { n });
  const slack = late.slackDaysUsed > 0 ? format(t.lateSlack, { slack: days(late.slackDaysUsed) }) : '';
  return format(t.lateCharged, { due: late.dueAt, submitted: late.submittedAt, days: days(late.daysLate), slack, percent: late.percent, before: late.pointsBeforeDeduction, deduction: late.deduction });
}

/** The GPU line of the environment: which GPU backend ran, if any did. */
function gpuLine(result: GradeResult, t: Labels): string {
  const onGpu = result.labs.find((l) => l.backend === 'webgpu' || (l.backend === 'tensorflow' && l.device?.includes('CUDA')));
  return onGpu ? format(t.gpuUsed, { backend: onGpu.backend ?? '', device: onGpu.device ?? '' }) : t.noGpu;
}

export function reportView(raw: GradeResult, lang: Lang) {
  // Invisible characters a submission or student.json wrote are shown, in every form of the report.
  const result = visibleStrings(raw);
  const t = labels(lang);
  const status = (s: string) => t.statuses[s] ?? s;
  const { say, labTitle, exerciseTitle, checkDescription, checkMessage, diagnosis } = localized(lang);
  const summaries = (c: CheckResult) => ({ id: c.id, expected: say(c.expected ?? '', c.expectedRef), actual: say(c.actual ?? '', c.actualRef) });
  const labs = result.labs.map((lab) => ({
    id: lab.id,
    title: labTitle(lab),
    file: lab.file,
    status: lab.status,
    statusLabel: status(lab.status),
    points: lab.points,
    maxPoints: lab.maxPoints,
    message: lab.message === undefined ? undefined : say(lab.message, lab.messageRef),
    late: lab.late ? lateText(lab.late, lang) : undefined,
    incomplete: lab.incomplete ?? false,
    ranOn: lab.backend ? format(t.ranOn, { backend: lab.backend, device: lab.device === undefined ? '?' : say(lab.device, lab.deviceRef), version: lab.tfjsVersion ?? '?', seconds: seconds(lab.durationMs) }) : undefined,
    optional: lab.optional ?? false,
    exercises: lab.exercises.map((ex) => ({
      id: ex.id,
      title: exerciseTitle(lab.id, ex),
      optional: !ex.graded,
      status: ex.status,
      statusLabel: status(ex.status),
      points: ex.points,
      maxPoints: ex.maxPoints,
      message: ex.message === undefined ? undefined : say(ex.message, ex.messageRef),
      code: ex.code,
      training: ex.metrics ? trainingView(ex.metrics, t) : undefined,
      // Checks that were not run all say what the exercise's message says.
      checksRan: ex.checks.some((c) => c.status !== 'skipped'),
      checks: ex.checks.map((c) => ({
        id: c.id,
        public: c.public,
        what: c.public ? checkDescription(lab.id, c) : t.hiddenCheck,
        status: c.status,
        statusLabel: status(c.status),
        message: checkMessage(c),
        withheld: c.withheld ? t.withheldLabel : undefined,
        diagnosis: diagnosis(c),
        points: c.points,
        maxPoints: c.maxPoints,
      })),
      shown: ex.checks.filter((c) => c.public && !c.passed && c.expected).map(summaries),
    })),
  }));
  const exercises = labs.flatMap((lab) => lab.exercises.map((ex) => ({ lab: lab.title, ex })));
  const toRevisit = exercises
    .filter(({ ex }) => ex.status !== 'passed')
    .map(({ lab, ex }) => {
      const firstFailure = ex.checks.find((c) => c.status !== 'passed');
      return { lab, exercise: ex.id, reason: firstFailure?.diagnosis ?? ex.message ?? firstFailure?.message ?? ex.statusLabel };
    });
  const passed = exercises.length - toRevisit.length;
  const s = result.student;
  return {
    lang,
    t,
    student: { id: s?.id ?? t.noStudent, name: s?.name ?? '', class: s?.class ?? '', email: s?.email ?? '' },
    date: result.gradedAt.slice(0, 10),
    total: result.total,
    publicOnly: result.checks === 'public',
    /** The scoring rule that withholds public points, said where any check's points were withheld. */
    publicPolicy: result.labs.some((l) => l.exercises.some((e) => e.checks.some((c) => c.withheld))) ? t.publicPolicy : undefined,
    environment: {
      sandbox: format(t.sandboxLine, { sandbox: result.sandbox.kind === 'bwrap' ? t.sandboxBwrap : (result.sandbox.note ?? 'Node.js permission model') }),
      gpu: gpuLine(result, t),
      labgrade: format(t.labgrade, {
        version: result.labgradeVersion,
        node: result.environment.node,
        platform: result.environment.platform,
        arch: result.environment.arch,
        seconds: seconds(result.durationMs),
      }),
    },
    labs,
    conclusion: {
      allPassed: toRevisit.length === 0,
      summary: format(t.conclusionSome, { passed, total: exercises.length }),
      toRevisit,
    },
  };
}

export type ReportView = ReturnType<typeof reportView>;
