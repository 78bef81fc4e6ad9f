/**
 * Runs every attack of the adversarial corpus and checks that it is contained (the attacked
 * exercise gets exactly the expected status and message) and that nothing else is affected (the
 * other exercises pass, another student graded at the same time gets full marks, files outside
 * stay untouched). Prints "attacks tried / contained / results unaffected" at the end.
 */
import { afterAll, expect, test } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { convStepByStep } from '../../graders/conv-step-by-step.js';
import { gradeLab } from '../../src/engine/grade-lab.js';
import { gradeSubmission } from '../../src/engine/grade-submission.js';
import { projectRoot } from '../../src/paths.js';
import { renderHtml, renderMarkdown } from '../../src/report/templates.js';
import { DEFAULT_LIMITS } from '../../src/sandbox/session.js';
import { loadCorpus, LAB_FILE, materialize } from './corpus.js';

const SENTINEL = '/tmp/labgrade-adversarial-sentinel';
// Generous per-exercise time: attacks that change built-ins on every call need a fresh process per
// check, and CI's two cores are shared with another test worker.
const optionsFor = (exerciseMs = 15_000) => ({ checks: 'all' as const, timeouts: { exerciseMs }, limits: { ...DEFAULT_LIMITS, rssMb: 1024 } });
const corpus = loadCorpus();
const tally = { tried: 0, contained: 0, unaffected: 0 };

afterAll(() => {
  console.log(`adversarial: ${tally.tried} attacks tried, ${tally.contained} contained, ${tally.unaffected} results unaffected`);
});

test('the corpus covers the attacks the isolation issue lists', () => {
  expect(corpus.length).toBeGreaterThanOrEqual(31);
});

test.each(corpus.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
  tally.tried++;
  writeFileSync(SENTINEL, 'untouched');
  const dir = materialize(c);
  // Another student is graded at the same time as the attack; it must not notice.
  const [result, bystander] = await Promise.all([
    gradeSubmission(dir, [convStepByStep], optionsFor(c.expected.exerciseMs)),
    gradeLab(convStepByStep, path.join(projectRoot, 'solutions', LAB_FILE), optionsFor()),
  ]);
  const lab = result.labs[0];
  const expected = c.expected;

  const containment: string[] = [];
  if (lab.status !== (expected.lab?.status ?? 'graded')) containment.push(`lab status ${lab.status}`);
  if (expected.lab?.message && !lab.message?.includes(expected.lab.message)) containment.push(`lab message: ${lab.message}`);
  for (const [id, want] of Object.entries(expected.exercises ?? {})) {
    const ex = lab.exercises.find((e) => e.id === id)!;
    if (ex.status !== want.status) containment.push(`${id} status ${ex.status}, expected ${want.status}`);
    const messages = ex.checks.map((ch) => ch.message).join('\n');
    if (!messages.includes(want.message)) containment.push(`${id} messages lack "${want.message}": ${messages.slice(0, 300)}`);
  }
  const report = renderMarkdown(result) + (await renderHtml(result));
  for (const text of expected.report?.contains ?? []) if (!report.includes(text)) containment.push(`report lacks ${text}`);
  for (const text of expected.report?.notContains ?? []) if (report.includes(text)) containment.push(`report contains ${text}`);

  const collateral: string[] = [];
  if (lab.status === 'graded') {
    for (const ex of lab.exercises.filter((e) => !(e.id in (expected.exercises ?? {})))) {
      if (ex.status !== 'passed' || ex.points !== ex.maxPoints) collateral.push(`${ex.id} ${ex.status} ${ex.points}/${ex.maxPoints}`);
    }
  }
  if (bystander.points !== 50) collateral.push(`the other student got ${bystander.points}`);
  if (readFileSync(SENTINEL, 'utf8') !== 'untouched') collateral.push('a file outside the submission was written');

  if (containment.length === 0) tally.contained++;
  if (collateral.length === 0) tally.unaffected++;
  expect({ containment, collateral }).toEqual({ containment: [], collateral: [] });
});
