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

const BARS = '▁▂▃▄▅▆▇█';

/** The cost per epoch as one line of bars (at most `width`, epochs sampled evenly), e.g. "cost 1.9141 → 0.3076 █▆▄▃▂▂▁▁"; null where there is nothing finite to draw. */
export function costSparkline(costs: readonly (number | null)[], width = 25): string | null {
  const finite = costs.filter((c): c is number => c !== null && Number.isFinite(c));
  if (finite.length < 2) return null;
  const n = Math.min(width, finite.length);
  const picked = Array.from({ length: n }, (_, i) => finite[Math.round((i * (finite.length - 1)) / (n - 1))]);
  const low = Math.min(...picked);
  const span = Math.max(...picked) - low;
  const bars = picked.map((c) => BARS[span === 0 ? 0 : Math.min(BARS.length - 1, Math.floor(((c - low) / span) * BARS.length))]).join('');
  return `cost ${finite[0].toFixed(4)} → ${finite[finite.length - 1].toFixed(4)} ${bars}`;
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
    if (ex.metrics) {
      lines.push(`  Measured: ${describeMetrics(ex.metrics)}`);
      const curve = costSparkline(ex.metrics.costs);
      if (curve) lines.push(`  Per epoch: ${curve}`);
    }
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
