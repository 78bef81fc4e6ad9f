/**
 * The threaded wasm build (src/backends/wasm-threads.ts): how many threads, and that they compute
 * what one thread does, bit for bit (each in its own process: a process holds one wasm build).
 */
import { describe, expect, test } from '@jest/globals';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { MAX_WASM_THREADS, threadsPerJob, wasmThreads } from '../../src/backends/wasm-threads.js';
import { UsageError } from '../../src/errors.js';
import { distDir, projectRoot } from '../../src/paths.js';

/** Convolutions (forward and both gradients, strided), a max-pool gradient and a product, on seeded data: a hash of every output byte. */
const PROBE = `
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { activateBackend } from ${JSON.stringify(pathToFileURL(path.join(distDir, 'src', 'backends', 'choice.js')).href)};
const active = await activateBackend(tf, 'wasm');
const x = tf.randomNormal([8, 32, 32, 16], 0, 1, 'float32', 1);
const w = tf.randomNormal([3, 3, 16, 32], 0, 1, 'float32', 2);
const f = (x, w) => tf.sum(tf.maxPool(tf.relu(tf.conv2d(x, w, 2, 'same')), 3, 2, 'valid').square());
const [dx, dw] = tf.grads(f)([x, w]);
const m = tf.matMul(tf.randomNormal([300, 500], 0, 1, 'float32', 3), tf.randomNormal([500, 200], 0, 1, 'float32', 4));
const hash = createHash('sha256');
for (const t of [tf.conv2d(x, w, 1, 'same'), dx, dw, m]) hash.update(new Uint8Array((await t.data()).buffer));
console.log(JSON.stringify({ device: active.device, hash: hash.digest('hex') }));
`;

/** The probe must end by itself: the pool's threads must not keep a process alive (a hang fails at the timeout). */
async function probe(threads: number): Promise<{ device: string; hash: string }> {
  const run = await execa(process.execPath, ['--input-type=module', '-e', PROBE], { cwd: projectRoot, env: { LABGRADE_WASM_THREADS: String(threads) }, timeout: 60_000 });
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!);
}

describe('wasm threads', () => {
  test('LABGRADE_WASM_THREADS sets them; otherwise the cores are shared out between jobs', () => {
    expect(wasmThreads({ LABGRADE_WASM_THREADS: '3' })).toBe(3);
    expect(wasmThreads({ LABGRADE_WASM_THREADS: '3' }, 4)).toBe(3);
    expect(wasmThreads({})).toBe(Math.min(MAX_WASM_THREADS, availableParallelism()));
    expect(wasmThreads({}, 1000)).toBe(1);
    expect(threadsPerJob(0)).toBe(threadsPerJob(1));
    for (const bad of ['0', '9', '1.5', 'two', '-1']) expect(() => wasmThreads({ LABGRADE_WASM_THREADS: bad })).toThrow(UsageError);
  });

  test('as many threads as asked for start in Node, compute what one thread does, bit for bit, and let the process end', async () => {
    // At least 2, and all cores where there are more: the build alone would give half the cores.
    const many = Math.min(MAX_WASM_THREADS, Math.max(2, availableParallelism()));
    const [one, several] = await Promise.all([probe(1), probe(many)]);
    expect(one.device).toBe('WebAssembly SIMD, 1 thread');
    expect(several.device).toBe(`WebAssembly SIMD, ${many} threads`);
    expect(several.hash).toBe(one.hash);
  }, 120_000);
});
