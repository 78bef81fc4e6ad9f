/** Plain-text feedback for `labgrade check`: one line per check, with what to fix. */
import type { LabResult } from '../engine/model.js';

const MARK: Record<string, string> = { passed: 'PASS', failed: 'FAIL', error: 'ERROR', timeout: 'TIMEOUT', skipped: 'SKIP', missing: 'MISSING' };

export function renderCheckFeedback(lab: LabResult): string {
  const lines = [`${lab.title} (${lab.file}): public checks`, ''];
  if (lab.message) lines.push(lab.message, '');
  let passed = 0;
  let total = 0;
  for (const ex of lab.exercises) {
    lines.push(`${ex.id}: ${MARK[ex.status] ?? ex.status}${ex.graded ? '' : ' (optional)'}`);
    if (ex.message) lines.push(`  ${ex.message.replace(/\n/g, '\n  ')}`);
    for (const check of ex.checks) {
      total++;
      if (check.passed) passed++;
      if (check.status === 'skipped') continue; // the exercise's message says why
      lines.push(`  [${MARK[check.status]}] ${check.description}`);
      if (!check.passed) {
        lines.push(`         ${check.message.replace(/\n/g, '\n         ')}`);
        if (check.diagnosis) lines.push(`         Likely mistake: ${check.diagnosis.message}`);
      }
    }
  }
  lines.push('', `${passed} of ${total} public checks passed. Hidden checks run when your instructor grades the lab.`);
  return `${lines.join('\n')}\n`;
}
