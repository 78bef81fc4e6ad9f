/**
 * report.md: a per-student lab report in the shape of the course's lab reports (header, environment,
 * then each lab and exercise with the student's code and every check), read from a finished result.
 */
import type { CheckResult, ExerciseResult, GradeResult, LabResult } from '../engine/model.js';

const STATUS_MARK: Record<string, string> = {
  passed: '✅ passed',
  failed: '❌ failed',
  error: '💥 error',
  timeout: '⏱️ timeout',
  missing: '➖ missing',
  skipped: '⏭️ skipped',
  graded: 'graded',
};

/** Escapes HTML in text that comes from a submission (messages, names), so a report shows it as text. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
}

/** Escapes text for a Markdown table cell: HTML, pipes and newlines. */
export function cell(text: string): string {
  return escapeHtml(text).replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

/** A Markdown block quote of (escaped) text. */
function quote(text: string): string {
  return `> ${escapeHtml(text).replace(/\n/g, '\n> ')}`;
}

function points(x: { points: number; maxPoints: number }): string {
  return `${x.points} / ${x.maxPoints}`;
}

function checkRow(check: CheckResult): string {
  const what = check.public ? check.description : '(hidden check)';
  const message = check.diagnosis ? `${cell(check.message)}<br>**Likely mistake:** ${cell(check.diagnosis.message)}` : cell(check.message);
  return `| ${cell(check.id)} | ${cell(what)} | ${STATUS_MARK[check.status]} | ${message} | ${check.points} / ${check.maxPoints} |`;
}

function fence(code: string): string {
  const longest = Math.max(2, ...[...code.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}ts\n${code}\n${ticks}`;
}

function exerciseSection(ex: ExerciseResult): string[] {
  const lines = [`### ${ex.id}: ${ex.title}`, '', `**${STATUS_MARK[ex.status]}**, ${points(ex)} points${ex.graded ? '' : ' (optional part)'}`, ''];
  if (ex.message) lines.push(quote(ex.message), '');
  if (ex.code) lines.push('Your code:', '', fence(ex.code), '');
  // Checks that were not run all say the same thing as the exercise's message.
  if (ex.checks.some((c) => c.status !== 'skipped')) {
    lines.push('| check | what | result | feedback | points |', '| --- | --- | --- | --- | --- |', ...ex.checks.map(checkRow), '');
    const shown = ex.checks.filter((c) => c.public && !c.passed && c.expected);
    for (const c of shown) lines.push(`- \`${c.id}\`: expected ${c.expected}; got ${escapeHtml(c.actual ?? 'nothing')}`);
    if (shown.length) lines.push('');
  }
  return lines;
}

function labSection(lab: LabResult): string[] {
  const lines = [`## ${lab.title} (\`${lab.file}\`): ${points(lab)}`, ''];
  if (lab.message) lines.push(quote(lab.message), '');
  if (lab.backend) lines.push(`Ran on the tfjs \`${lab.backend}\` backend (tfjs ${lab.tfjsVersion}) in ${(lab.durationMs / 1000).toFixed(1)} s.`, '');
  for (const ex of lab.exercises) lines.push(...exerciseSection(ex));
  return lines;
}

export function renderMarkdown(result: GradeResult): string {
  const s = result.student;
  const lines = [
    '# Lab report: Convolutional Neural Networks',
    '',
    '| student id | name | class | email | graded |',
    '| --- | --- | --- | --- | --- |',
    `| ${cell(s?.id ?? '(no student.json)')} | ${cell(s?.name ?? '')} | ${cell(s?.class ?? '')} | ${cell(s?.email ?? '')} | ${result.gradedAt.slice(0, 10)} |`,
    '',
    `**Total: ${points(result.total)} points**${result.checks === 'public' ? ' (public checks only)' : ''}`,
    '',
    '| lab | status | points |',
    '| --- | --- | --- |',
    ...result.labs.map((lab) => `| ${cell(lab.title)} | ${STATUS_MARK[lab.status]} | ${points(lab)} |`),
    '',
    '## Environment',
    '',
    `labgrade ${result.labgradeVersion}, Node.js ${result.environment.node} on ${result.environment.platform}/${result.environment.arch}; graded in ${(result.durationMs / 1000).toFixed(1)} s.`,
    '',
  ];
  for (const lab of result.labs) lines.push(...labSection(lab));
  return `${lines.join('\n').trimEnd()}\n`;
}
