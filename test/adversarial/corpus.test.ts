/**
 * Runs every attack of the adversarial corpus and checks that it is contained (the attacked
 * exercise gets exactly the expected status and message) and that nothing else is affected (the
 * other exercises pass, another student graded at the same time gets full marks, files outside
 * stay untouched, listeners on the grader's loopback hear nothing). Every attack is also held to
 * what no submission may ever get into a report: a hidden check in words other than labgrade's
 * fixed ones, or reports beyond a few megabytes. Prints "attacks tried / contained / results
 * unaffected" at the end.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { convStepByStep } from '../../graders/conv-step-by-step.js';
import { findLab } from '../../graders/index.js';
import { gradeLab } from '../../src/engine/grade-lab.js';
import { gradeSubmission, openSubmission } from '../../src/engine/grade-submission.js';
import type { GradeResult } from '../../src/contract/result.js';
import { projectRoot } from '../../src/paths.js';
import { renderHtml, renderMarkdown } from '../../src/report/templates.js';
import { DEFAULT_LIMITS } from '../../src/sandbox/session.js';
import { SANDBOX } from '../sandbox-kind.js';
import { sharedFile } from '../shared-data.js';
import { loadCorpus, materialize, outsideCodeFences } from './corpus.js';

const SENTINEL = '/tmp/labgrade-adversarial-sentinel';
/** Where the network attacks send what they find (the attack files name these). */
const TCP_PORT = 47913;
const UNIX_SOCKET = '/tmp/labgrade-adversarial.sock';
const ABSTRACT_SOCKET = '\0labgrade-adversarial';
/** No submission's reports (report.md and report.html) may grow past this, whatever it returns. */
const REPORT_CAP_BYTES = 4 << 20;
/** All a student reads of a hidden check: passed, not passed, or not run for a reason outside the submission. */
const HIDDEN_WORDS = [/^Passed\.$/, /^Not passed\. Hidden checks say no more/, /^not run: /];
/** The only words a hidden check's detail (the instructor's) may say: labgrade's, never the submission's. */
const HIDDEN_DETAIL_WORDS = [
  /^The result is correct\.( \(\w+ changed JavaScript built-ins or tfjs; later checks ran in a fresh process\.\))?$/,
  /^The result is (not )?right( \(details are not shown for hidden checks\))?\.$/,
  /^(The output|Some values|The model's layers)[^\n]*\.( \(\w+ changed JavaScript built-ins or tfjs; later checks ran in a fresh process\.\))?$/,
  /^\w+ (threw an error \(hidden checks do not show what a submission reports\)|did not finish within [\d.]+ s \(is there an infinite loop\?\)|ran out of memory|stopped the process \(it crashed, exited or sent something malformed\)|could not run: the submission keeps changing JavaScript built-ins or tfjs between calls)$/,
  /^not run: /,
  /^could not restart the submission's process$/,
  // A training judge's fixed words (Lab 2's model): no numbers.
  /^The (returned parameters|reported costs|accuracy the grader measures|result cannot be evaluated|dataset is not available)[^0-9]*[.?]$/,
];

const dataDir = (() => {
  const testSet = sharedFile('datasets/signs/test_signs.h5');
  return testSet ? path.resolve(testSet, '..', '..') : undefined;
})();

// Generous per-exercise time: attacks that change built-ins on every call need a fresh process per
// check, and CI's two cores are shared with another test worker.
const optionsFor = (exerciseMs = 15_000) => ({ checks: 'all' as const, sandbox: SANDBOX, dataDir, timeouts: { exerciseMs }, limits: { ...DEFAULT_LIMITS, rssMb: 1024 } });
const corpus = loadCorpus();
const tally = { tried: 0, contained: 0, unaffected: 0 };
const heard: string[] = [];
const listeners: net.Server[] = [];

beforeAll(async () => {
  rmSync(UNIX_SOCKET, { force: true });
  for (const where of [{ port: TCP_PORT, host: '127.0.0.1' }, { path: UNIX_SOCKET }, { path: ABSTRACT_SOCKET }]) {
    const server = net.createServer((socket) => {
      heard.push(`a connection on ${JSON.stringify(where)}`);
      socket.destroy();
    });
    // A port or socket held by another process is a clear failure here, not a hook that never returns.
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`the corpus's listener on ${JSON.stringify(where)} could not start: ${err.message}`)));
      server.listen(where, resolve);
    });
    listeners.push(server);
  }
});

afterAll(async () => {
  for (const server of listeners) await new Promise((resolve) => server.close(resolve));
  console.log(`adversarial: ${tally.tried} attacks tried, ${tally.contained} contained, ${tally.unaffected} results unaffected`);
});

test('the corpus covers the attacks the trust issues list', () => {
  expect(corpus.length).toBeGreaterThanOrEqual(50);
});

test.each(corpus.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
  const expected = c.expected;
  if (expected.requires === 'bwrap' && SANDBOX !== 'bwrap') {
    console.warn(`SKIPPED: ${c.name} needs bubblewrap, which cannot start here`);
    return;
  }
  tally.tried++;
  writeFileSync(SENTINEL, 'untouched');
  const heardBefore = heard.length;
  const dir = await materialize(c);
  const lab = findLab(expected.labId ?? convStepByStep.id)!;
  // Another student is graded at the same time as the attack; it must not notice.
  const [graded, bystander] = await Promise.all([
    gradeSubmission(openSubmission(dir), [lab], optionsFor(expected.exerciseMs)).catch((err: Error) => err),
    // The classmate's public checks keep it busy for the whole attack, at half the cost of all of them.
    gradeLab(convStepByStep, openSubmission(path.join(projectRoot, 'solutions')), { ...optionsFor(), checks: 'public' }),
  ]);

  const containment: string[] = [];
  const collateral: string[] = [];
  if (graded instanceof Error) {
    if (!expected.ungradable) throw graded;
    if (!graded.message.includes(expected.ungradable)) containment.push(`ungradable for another reason: ${graded.message}`);
    for (const text of expected.report?.notContains ?? []) if (graded.message.includes(text)) containment.push(`the reason quotes ${text}`);
  } else {
    if (expected.ungradable) containment.push('was graded, expected it not to be');
    containment.push(...checkResult(graded, c.expected));
    const report = renderMarkdown(graded) + (await renderHtml(graded));
    if (Buffer.byteLength(report) > REPORT_CAP_BYTES) containment.push(`the reports take ${Buffer.byteLength(report)} bytes`);
    for (const text of expected.report?.contains ?? []) if (!report.includes(text)) containment.push(`report lacks ${text}`);
    for (const text of expected.report?.notContains ?? []) if (report.includes(text)) containment.push(`report contains ${text}`);
    const markdown = outsideCodeFences(renderMarkdown(graded));
    for (const text of expected.report?.markdownNotContains ?? []) if (markdown.includes(text)) containment.push(`report.md contains ${JSON.stringify(text)}`);
    const result = graded.labs[0];
    // In merge mode every exercise the attack does not replace is the reference's, and must pass.
    if (result.status === 'graded' && expected.mode === 'merge') {
      for (const ex of result.exercises.filter((e) => !(e.id in (expected.exercises ?? {})))) {
        if (ex.status !== 'passed' || ex.points !== ex.maxPoints) collateral.push(`${ex.id} ${ex.status} ${ex.points}/${ex.maxPoints}`);
      }
    }
  }
  if (bystander.points !== bystander.maxPoints) collateral.push(`the other student got ${bystander.points} of ${bystander.maxPoints}`);
  if (readFileSync(SENTINEL, 'utf8') !== 'untouched') collateral.push('a file outside the submission was written');
  if (heard.length > heardBefore) collateral.push(`a listener on the grader's loopback heard: ${heard.slice(heardBefore).join('; ')}`);

  if (containment.length === 0) tally.contained++;
  if (collateral.length === 0) tally.unaffected++;
  expect({ containment, collateral }).toEqual({ containment: [], collateral: [] });
});

function checkResult(result: GradeResult, expected: (typeof corpus)[number]['expected']): string[] {
  const problems: string[] = [];
  const lab = result.labs[0];
  if (lab.status !== (expected.lab?.status ?? 'graded')) problems.push(`lab status ${lab.status}`);
  if (expected.lab?.message && !lab.message?.includes(expected.lab.message)) problems.push(`lab message: ${lab.message}`);
  if (expected.points !== undefined && lab.points !== expected.points) problems.push(`lab points ${lab.points}, expected ${expected.points}`);
  for (const [id, want] of Object.entries(expected.exercises ?? {})) {
    const ex = lab.exercises.find((e) => e.id === id)!;
    if (ex.status !== want.status) problems.push(`${id} status ${ex.status}, expected ${want.status}`);
    if (want.points !== undefined && ex.points !== want.points) problems.push(`${id} points ${ex.points}, expected ${want.points}`);
    // What the grader says of the attack, to the student or (a hidden check's detail) to the instructor.
    const messages = [ex.message ?? '', ...ex.checks.flatMap((ch) => [ch.message, ch.hiddenDetail?.message ?? ''])].join('\n');
    if (!messages.includes(want.message)) problems.push(`${id} messages lack "${want.message}": ${messages.slice(0, 300)}`);
  }
  for (const check of lab.exercises.flatMap((e) => e.checks).filter((ch) => !ch.public)) {
    if (!HIDDEN_WORDS.some((words) => words.test(check.message))) problems.push(`hidden check ${check.id} says "${check.message.slice(0, 200)}"`);
    if (!['passed', 'failed', 'skipped'].includes(check.status) || check.diagnosis || check.durationMs !== 0) problems.push(`hidden check ${check.id} tells how it failed (${check.status}${check.diagnosis ? ', a diagnosis' : ''}, ${check.durationMs} ms)`);
    const detail = check.hiddenDetail?.message;
    if (detail !== undefined && !HIDDEN_DETAIL_WORDS.some((words) => words.test(detail))) problems.push(`hidden check ${check.id}'s detail says "${detail.slice(0, 200)}"`);
    if (check.actual !== undefined || check.expected !== undefined) problems.push(`hidden check ${check.id} carries a value summary`);
  }
  return problems;
}
