/** Plain-text feedback for `labgrade check`: one line per check, with what to fix. */
import type { LabResult, TrainingMetrics } from '../contract/result.js';
import type { Lang } from '../i18n/messages.js';
import { localized } from './localized.js';
import { format, labels } from './report-view.js';

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
export function describeMetrics(m: TrainingMetrics, lang: Lang = 'en'): string {
  const t = labels(lang);
  const values = { epochs: m.epochs, seconds: (m.durationMs / 1000).toFixed(1), backend: m.backend ?? '' };
  const parts = [
    ...(m.trainAccuracy !== undefined ? [format(t.metricsTrain, { value: m.trainAccuracy.toFixed(4) })] : []),
    ...(m.testAccuracy !== undefined ? [format(t.metricsTest, { value: m.testAccuracy.toFixed(4) })] : []),
    format(m.backend ? t.metricsEpochsOn : t.metricsEpochs, values),
  ];
  return parts.join(t.metricsSeparator);
}

const BARS = '▁▂▃▄▅▆▇█';

/** The cost per epoch as bars (at most `width`, epochs sampled evenly), with the first and last cost; null where there is nothing finite to draw. */
export function costBars(costs: readonly (number | null)[], width = 25): { first: string; last: string; bars: string } | null {
  const finite = costs.filter((c): c is number => c !== null && Number.isFinite(c));
  if (finite.length < 2) return null;
  const n = Math.min(width, finite.length);
  const picked = Array.from({ length: n }, (_, i) => finite[Math.round((i * (finite.length - 1)) / (n - 1))]);
  const low = Math.min(...picked);
  const span = Math.max(...picked) - low;
  const bars = picked.map((c) => BARS[span === 0 ? 0 : Math.min(BARS.length - 1, Math.floor(((c - low) / span) * BARS.length))]).join('');
  return { first: finite[0].toFixed(4), last: finite[finite.length - 1].toFixed(4), bars };
}

/** What `labgrade check` prints: each exercise and public check, with what to fix, in `lang`. */
export function renderCheckFeedback(lab: LabResult, lang: Lang = 'en'): string {
  const t = labels(lang);
  const { say, labTitle, checkDescription, checkMessage, diagnosis } = localized(lang);
  const mark = (status: string) => t.marks[status] ?? status;
  const lines = [format(t.checkHeading, { title: labTitle(lab), file: lab.file }), ''];
  if (lab.message) lines.push(say(lab.message, lab.messageRef), '');
  if (lab.incomplete) lines.push(`${t.incompleteLab}: ${t.incompleteNote}`, '');
  if (lab.backend) {
    const device = lab.device === undefined ? undefined : say(lab.device, lab.deviceRef);
    lines.push(format(device ? t.checkRanOn : t.checkRanOnNoDevice, { version: lab.tfjsVersion ?? '', backend: lab.backend, device: device ?? '' }), '');
  }
  let passed = 0;
  let total = 0;
  for (const ex of lab.exercises) {
    lines.push(`${ex.id}: ${mark(ex.status)}${ex.graded ? '' : t.checkOptional}`);
    if (ex.message) lines.push(`  ${say(ex.message, ex.messageRef).replace(/\n/g, '\n  ')}`);
    if (ex.metrics) {
      lines.push(`  ${format(t.checkMeasured, { metrics: describeMetrics(ex.metrics, lang) })}`);
      const curve = costBars(ex.metrics.costs);
      if (curve) lines.push(`  ${format(t.checkPerEpoch, curve)}`);
    }
    for (const check of ex.checks) {
      total++;
      if (check.passed) passed++;
      if (check.status === 'skipped' && ex.message) continue; // the exercise's message says why
      lines.push(`  [${mark(check.status)}] ${checkDescription(lab.id, check)}`);
      if (!check.passed) {
        lines.push(`         ${checkMessage(check).replace(/\n/g, '\n         ')}`);
        const likely = diagnosis(check);
        if (likely) lines.push(`         ${format(t.checkLikelyMistake, { text: likely })}`);
      }
    }
  }
  lines.push('', format(t.checkSummary, { passed, total }));
  return `${lines.map((line) => terminalText(line, true)).join('\n')}\n`;
}
