/**
 * Per-kernel profile of one training step on wasm (tf.profile, after warm-up steps): Lab 2's
 * reference step (batch 64) or a ResNet50 step (batch 32) with labgrade's training code, each
 * kernel's total time and count, largest first. The PyTorch anchor's profile of the same step
 * (bench/pytorch/anchor.py profile-*) sits beside it in docs/bench/cpu-profile.md.
 *
 * Usage: node dist/bench/profile-step.js lab2|resnet50 [steps]
 */
import * as tf from '@tensorflow/tfjs';
import { activateBackend } from '../src/backends/choice.js';
import { computeCost, forwardPropagation, initializeParameters, type Parameters } from '../solutions/conv-application.js';
import { resNet50 } from '../solutions/residual-networks.js';
import { adamForBackend, useLabgradeTrainingCode } from '../src/accel/index.js';
import { median } from '../src/median.js';

type Step = () => Promise<void>;

function lab2Step(): Step {
  const X = tf.randomUniform([64, 64, 64, 3]) as tf.Tensor4D;
  const Y = tf.oneHot(tf.randomUniform([64], 0, 6, 'int32') as tf.Tensor1D, 6).toFloat() as tf.Tensor2D;
  const variables = Object.fromEntries(Object.entries(initializeParameters()).map(([k, t]) => [k, tf.variable(t)])) as unknown as Parameters;
  const optimizer = tf.train.adam(0.009);
  return async () => {
    const cost = optimizer.minimize(() => computeCost(forwardPropagation(X, variables), Y), true)!;
    cost.dataSync();
    cost.dispose();
  };
}

function resNet50Step(): Step {
  const x = tf.randomUniform([32, 64, 64, 3]);
  const y = tf.oneHot(tf.randomUniform([32], 0, 6, 'int32') as tf.Tensor1D, 6).toFloat();
  const model = resNet50();
  useLabgradeTrainingCode(tf, model);
  model.compile({ optimizer: adamForBackend(tf, 1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return async () => {
    await model.trainOnBatch(x, y);
  };
}

const work = process.argv[2] ?? 'lab2';
const steps = Number(process.argv[3] ?? 5);
const { device } = await activateBackend(tf, 'wasm');
const step = work === 'resnet50' ? resNet50Step() : lab2Step();
await step();
await step();
const times: number[] = [];
for (let i = 0; i < steps; i++) {
  const start = performance.now();
  await step();
  times.push(performance.now() - start);
}
const profile = await tf.profile(step);
const byName = new Map<string, { count: number; ms: number; shapes: Map<string, { count: number; ms: number }> }>();
for (const k of profile.kernels) {
  if (typeof k.kernelTimeMs !== 'number') continue;
  const entry = byName.get(k.name) ?? { count: 0, ms: 0, shapes: new Map() };
  entry.count++;
  entry.ms += k.kernelTimeMs;
  const shape = `${k.inputShapes.map((s) => `[${s}]`).join(' ')} -> ${k.outputShapes.map((s) => `[${s}]`).join(' ')}`;
  const byShape = entry.shapes.get(shape) ?? { count: 0, ms: 0 };
  byShape.count++;
  byShape.ms += k.kernelTimeMs;
  entry.shapes.set(shape, byShape);
  byName.set(k.name, entry);
}
const total = [...byName.values()].reduce((sum, e) => sum + e.ms, 0);
console.log(`${work} step on ${device}: median ${median(times).toFixed(1)} ms over ${steps} steps; profiled step's kernels ${total.toFixed(1)} ms in ${profile.kernels.length} kernels`);
console.log('| kernel | count | ms | share |');
console.log('| --- | --- | --- | --- |');
for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14)) {
  console.log(`| ${name} | ${e.count} | ${e.ms.toFixed(1)} | ${((100 * e.ms) / total).toFixed(0)}% |`);
}
if (process.env.BENCH_SHAPES) {
  for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, Number(process.env.BENCH_SHAPES))) {
    console.log(`\n${name}:`);
    for (const [shape, s] of [...e.shapes].sort((a, b) => b[1].ms - a[1].ms).slice(0, 8)) console.log(`  ${s.ms.toFixed(1)} ms ×${s.count}  ${shape}`);
  }
}
