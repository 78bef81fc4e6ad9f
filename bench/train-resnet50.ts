/**
 * A ResNet50 training step on the CPU (wasm, batch 32 of SIGNS-sized images): tfjs's training code
 * against labgrade's (resnet50-step.ts), both on wasm with labgrade's gradient kernels (stock wasm
 * cannot train a convolution: it has no Conv2DBackpropFilter). Goal (issue 7): ≤ 4 s a step on a
 * 2-core machine, under 4 GB of memory. BENCH_RESNET_STEPS (default 3) steps per median.
 */
import * as tf from '@tensorflow/tfjs';
import { activateBackend } from '../src/backends/backends.js';
import { recordBench } from './bench-record.js';
import { resNet50Step } from './resnet50-step.js';

const GOAL_MS = 4000;
const BATCH = 32;
const steps = Number(process.env.BENCH_RESNET_STEPS ?? 3);

await activateBackend(tf, 'wasm', 'train');
const x = tf.randomUniform([BATCH, 64, 64, 3]);
const y = tf.oneHot(tf.randomUniform([BATCH], 0, 6, 'int32') as tf.Tensor1D, 6).toFloat();
console.log(`ResNet50 training step on wasm (batch ${BATCH}), goal <= ${GOAL_MS} ms; median of ${steps}`);
const tfjs = await resNet50Step(tf, 'tfjs', x, y, steps);
const labgrade = await resNet50Step(tf, 'labgrade', x, y, steps);
const rssGb = process.memoryUsage().rss / 2 ** 30;
console.log('training code        step (ms)   kernels   / goal');
for (const [name, f] of [['tfjs', tfjs], ['labgrade', labgrade]] as const) {
  console.log(`${name.padEnd(18)} ${f.stepMs.toFixed(0).padStart(11)} ${String(f.kernelsPerStep).padStart(9)} ${(f.stepMs / GOAL_MS).toFixed(2).padStart(8)}`);
}
console.log(`labgrade vs tfjs: ${(tfjs.stepMs / labgrade.stepMs).toFixed(2)}× faster, ${(tfjs.kernelsPerStep / labgrade.kernelsPerStep).toFixed(2)}× fewer kernels; RSS ${rssGb.toFixed(2)} GB`);
recordBench('resnet50-step-wasm', { goalMs: GOAL_MS, batch: BATCH, steps, tfjs, labgrade, rssGb: Number(rssGb.toFixed(2)) });
