/**
 * `npm run bench`: how long grading a Lab 1 submission takes, as medians over repeated runs, and
 * the ratio to the goal (issue 7: one full Lab-1 submission in at most 2 s of wall time, process
 * start included).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execaNode } from 'execa';
import { convStepByStep } from '../graders/conv-step-by-step.js';
import { gradeSubmission, openSubmission } from '../src/engine/grade-submission.js';
import { bwrapStatus } from '../src/sandbox/os-sandbox.js';
import { projectRoot } from '../src/paths.js';
import { recordBench } from './bench-record.js';
import { median } from '../src/median.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const GOAL_MS = 2000;

async function time(fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await fn();
    out.push(performance.now() - start);
  }
  return out;
}

const submissions = {
  reference: path.join(projectRoot, 'solutions'),
  vectorized: path.join(projectRoot, 'examples/submissions/correct-vectorized'),
  'sample-report': path.join(projectRoot, 'examples/submissions/sample-report-mistakes'),
  starter: path.join(projectRoot, 'exercises'),
};

// Timed as instructors grade: in bubblewrap where it runs here.
const sandbox = bwrapStatus().available ? 'bwrap' : 'node';
console.log(`Lab 1 grading, median of ${RUNS} runs, sandbox ${sandbox} (goal: <= ${GOAL_MS} ms per submission, CLI process included)`);
console.log('submission       in-process ms   CLI wall ms   CLI / goal');
const figures: Record<string, { inProcessMs: number; cliMs: number }> = {};
for (const [name, dir] of Object.entries(submissions)) {
  const inProcess = median(await time(() => gradeSubmission(openSubmission(dir), [convStepByStep], { checks: 'all', sandbox })));
  const out = mkdtempSync(path.join(os.tmpdir(), 'labgrade-bench-'));
  const cli = median(await time(() => execaNode(path.join(projectRoot, 'bin', 'labgrade.js'), ['grade', dir, '--out', out, '--lab', 'conv-step-by-step', '--sandbox', sandbox])));
  rmSync(out, { recursive: true, force: true });
  console.log(`${name.padEnd(16)} ${inProcess.toFixed(0).padStart(13)} ${cli.toFixed(0).padStart(13)} ${(cli / GOAL_MS).toFixed(2).padStart(12)}`);
  figures[name] = { inProcessMs: Math.round(inProcess), cliMs: Math.round(cli) };
}
recordBench('lab1-grading', { goalMs: GOAL_MS, runs: RUNS, sandbox, figures });
