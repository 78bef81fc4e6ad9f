/**
 * A ResNet50 training step on the CPU (wasm, batch 32 of SIGNS-sized images): tfjs's training code
 * against labgrade's (resnet50-step.ts), both on wasm with labgrade's gradient kernels (stock wasm
 * cannot train a convolution: it has no Conv2DBackpropFilter). Each runs in a fresh process: run
 * second in one, a step took 4.6 s instead of 3.9 s (the wasm heap the first left behind).
 * labgrade's runs twice: on one wasm thread (the baseline for threads) and on all cores. Goal
 * (issue 7): ≤ 4 s a step on a 2-core machine, under 4 GB of memory. BENCH_RESNET_STEPS (default
 * 3) steps per median.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { activateBackend } from '../src/backends/choice.js';
import { WASM_THREADS_VARIABLE, wasmThreads } from '../src/backends/wasm-threads.js';
import { recordBench } from './bench-record.js';
import { resNet50Step, type StepFigure, type TrainingCode } from './resnet50-step.js';

const GOAL_MS = 4000;
const BATCH = 32;
const steps = Number(process.env.BENCH_RESNET_STEPS ?? 3);

type Measured = StepFigure & { rssGb: number };

async function measure(code: TrainingCode): Promise<Measured> {
  await activateBackend(tf, 'wasm', 'train');
  const x = tf.randomUniform([BATCH, 64, 64, 3]);
  const y = tf.oneHot(tf.randomUniform([BATCH], 0, 6, 'int32') as tf.Tensor1D, 6).toFloat();
  const figure = await resNet50Step(tf, code, x, y, steps);
  return { ...figure, rssGb: Number((process.resourceUsage().maxRSS / 2 ** 20).toFixed(2)) };
}

const only = process.argv[2] as TrainingCode | undefined;
if (only) {
  process.stdout.write(`${JSON.stringify(await measure(only))}\n`);
} else {
  console.log(`ResNet50 training step on wasm (batch ${BATCH}), goal <= ${GOAL_MS} ms; median of ${steps}, each in its own process`);
  const inChild = (code: TrainingCode, threads: number): Measured =>
    JSON.parse(
      execFileSync(process.execPath, [fileURLToPath(import.meta.url), code], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, [WASM_THREADS_VARIABLE]: String(threads) } })
        .trim()
        .split('\n')
        .pop()!,
    );
  const threads = wasmThreads();
  const tfjs = inChild('tfjs', threads);
  const oneThread = inChild('labgrade', 1);
  const labgrade = inChild('labgrade', threads);
  console.log('training code        threads   step (ms)   kernels   peak RSS (GB)   / goal');
  for (const [name, n, f] of [['tfjs', threads, tfjs], ['labgrade', 1, oneThread], ['labgrade', threads, labgrade]] as const) {
    console.log(`${name.padEnd(18)} ${String(n).padStart(9)} ${f.stepMs.toFixed(0).padStart(11)} ${String(f.kernelsPerStep).padStart(9)} ${f.rssGb.toFixed(2).padStart(15)} ${(f.stepMs / GOAL_MS).toFixed(2).padStart(8)}`);
  }
  console.log(`labgrade vs tfjs: ${(tfjs.stepMs / labgrade.stepMs).toFixed(2)}× faster, ${(tfjs.kernelsPerStep / labgrade.kernelsPerStep).toFixed(2)}× fewer kernels; ${threads} threads vs 1: ${(oneThread.stepMs / labgrade.stepMs).toFixed(2)}× faster`);
  recordBench('resnet50-step-wasm', { goalMs: GOAL_MS, batch: BATCH, steps, threads, tfjs, labgradeOneThread: oneThread, labgrade });
}
