/** Plain-text feedback for `labgrade check`: one line per check, with what to fix. */
import type { LabResult, TrainingMetrics } from '../engine/model.js';

/**
 * Text for a terminal: control characters (escape sequences that clear the screen or retitle the
 * window, carriage returns that overwrite a line) become visible `\xNN` escapes, and invisible or
 * direction-changing characters (a right-to-left override makes a line read as another) `\uNNNN`
 * ones; tabs stay, and newlines where `keepNewlines` says so (multi-line feedback).
 */
export function terminalText(text: string, keepNewlines = false): string {
  return text
    .replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, (c) => (keepNewlines && c === '\n' ? c : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`))
    .replace(/[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One line on what training measured, e.g. "train accuracy 0.9120, test accuracy 0.7833, 100 epochs in 152.3 s (wasm)". */
export function describeMetrics(m: TrainingMetrics): string {
  const parts = [
    ...(m.trainAccuracy !== undefined ? [`train accuracy ${m.trainAccuracy.toFixed(4)}`] : []),
    ...(m.testAccuracy !== undefined ? [`test accuracy ${m.testAccuracy.toFixed(4)}`] : []),
    `${m.epochs} epochs in ${(m.durationMs / 1000).toFixed(1)} s${m.backend ? ` (${m.backend})` : ''}`,
  ];
  return parts.join(', ');
}

const MARK: Record<string, string> = { passed: 'PASS', failed: 'FAIL', error: 'ERROR', timeout: 'TIMEOUT', skipped: 'SKIP', missing: 'MISSING' };

export function renderCheckFeedback(lab: LabResult): string {
  const lines = [`${lab.title} (${lab.file}): public checks`, ''];
  if (lab.message) lines.push(lab.message, '');
  if (lab.backend) lines.push(`Ran on tfjs ${lab.tfjsVersion ?? ''} ${lab.backend}${lab.device ? ` (${lab.device})` : ''}.`, '');
  let passed = 0;
  let total = 0;
  for (const ex of lab.exercises) {
    lines.push(`${ex.id}: ${MARK[ex.status] ?? ex.status}${ex.graded ? '' : ' (optional)'}`);
    if (ex.message) lines.push(`  ${ex.message.replace(/\n/g, '\n  ')}`);
    if (ex.metrics) lines.push(`  Measured: ${describeMetrics(ex.metrics)}`);
    for (const check of ex.checks) {
      total++;
      if (check.passed) passed++;
      if (check.status === 'skipped' && ex.message) continue; // the exercise's message says why
      lines.push(`  [${MARK[check.status]}] ${check.description}`);
      if (!check.passed) {
        lines.push(`         ${check.message.replace(/\n/g, '\n         ')}`);
        if (check.diagnosis) lines.push(`         Likely mistake: ${check.diagnosis.message}`);
      }
    }
  }
  lines.push('', `${passed} of ${total} public checks passed. Hidden checks run when your instructor grades the lab.`);
  return `${lines.map((line) => terminalText(line, true)).join('\n')}\n`;
}
