/**
 * `npm run bench`: a class of Lab 1 submissions graded with `labgrade grade-class --jobs 2`, the
 * median wall time of a few runs and its ratio to the goal (issue 7: 100 submissions in at most
 * 60 s). Every student is a copy of the reference solution, the slowest of the Lab 1 bench's
 * submissions (its explicit loops run the most tfjs ops), each with its own comment so that no two
 * files are the same.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execaNode } from 'execa';
import { projectRoot } from '../src/paths.js';
import { recordBench } from './bench-record.js';
import { median } from '../src/median.js';

const RUNS = Number(process.env.BENCH_CLASS_RUNS ?? 3);
const STUDENTS = Number(process.env.BENCH_CLASS_STUDENTS ?? 100);
const JOBS = 2;
const GOAL_SECONDS = 60;

const work = mkdtempSync(path.join(os.tmpdir(), 'labgrade-bench-class-'));
try {
  const classDir = path.join(work, 'class');
  const reference = readFileSync(path.join(projectRoot, 'solutions', 'conv-step-by-step.ts'), 'utf8');
  for (let i = 1; i <= STUDENTS; i++) {
    const student = path.join(classDir, `s${String(i).padStart(3, '0')}`);
    mkdirSync(student, { recursive: true });
    writeFileSync(path.join(student, 'conv-step-by-step.ts'), `${reference}\n// student ${i}\n`);
  }
  const seconds: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const out = path.join(work, `out-${run}`);
    const start = performance.now();
    const result = await execaNode(path.join(projectRoot, 'bin', 'labgrade.js'), ['grade-class', classDir, '--jobs', String(JOBS), '--lab', 'conv-step-by-step', '--out', out, '--force'], { reject: false });
    seconds.push((performance.now() - start) / 1000);
    if (result.exitCode !== 0) throw new Error(`grade-class failed (exit ${result.exitCode}): ${String(result.stderr).slice(-2000)}`);
    const summary = JSON.parse(readFileSync(path.join(out, 'class.json'), 'utf8')) as { students: unknown[] };
    if (summary.students.length !== STUDENTS) throw new Error(`class.json lists ${summary.students.length} students, not ${STUDENTS}`);
  }
  const wall = median(seconds);
  console.log(`Lab 1 class, ${STUDENTS} copies of the reference solution, grade-class --jobs ${JOBS}, median of ${RUNS} runs`);
  console.log(`wall ${wall.toFixed(1)} s (runs: ${seconds.map((s) => s.toFixed(1)).join(', ')}), ${((wall / STUDENTS) * 1000).toFixed(0)} ms a student; goal ${GOAL_SECONDS} s for 100: ratio ${((wall * 100) / STUDENTS / GOAL_SECONDS).toFixed(2)}`);
  recordBench('lab1-class', { goalSeconds: GOAL_SECONDS, students: STUDENTS, jobs: JOBS, runs: RUNS, wallSeconds: Math.round(wall * 10) / 10, runSeconds: seconds.map((s) => Math.round(s * 10) / 10) });
} finally {
  rmSync(work, { recursive: true, force: true });
}
