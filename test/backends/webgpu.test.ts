/**
 * The WebGPU path (tfjs-backend-webgpu over Dawn, the npm package `webgpu`), on whatever Vulkan
 * driver is there: on a machine without a GPU, Mesa's lavapipe (`source .ci/lavapipe.sh`). The
 * same code runs on an H100 (bench/gpu/). Without a Vulkan driver these tests say so and skip;
 * with LABGRADE_REQUIRE_WEBGPU=1 (as .ci/run sets once lavapipe is fetched) they fail instead.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { execaNode } from 'execa';
import { activateBackend } from '../../src/backends/backends.js';
import { projectRoot } from '../../src/paths.js';
import { sharedFile } from '../shared-data.js';

const hasVulkan = Boolean(process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES);
if (!hasVulkan) {
  const message = 'no Vulkan driver is configured (VK_ICD_FILENAMES): the WebGPU tests are skipped (source .ci/lavapipe.sh to run them on the CPU)';
  if (process.env.LABGRADE_REQUIRE_WEBGPU === '1') throw new Error(message);
  console.warn(`SKIPPED: ${message}`);
}
const run = hasVulkan ? test : test.skip;
const testSet = sharedFile('datasets/signs/test_signs.h5');

describe('WebGPU backend (Dawn)', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  run('grading function checks refuses webgpu, saying why', async () => {
    await expect(activateBackend(tf, 'webgpu', 'grade')).rejects.toThrow(/cannot read tensors synchronously in Node/);
  });

  run('starts on the adapter and computes a small CNN\'s gradients as the cpu backend does', async () => {
    const active = await activateBackend(tf, 'webgpu', 'train');
    expect(active.name).toBe('webgpu');
    expect(active.device).toMatch(/via WebGPU \(Dawn\)/);
    const gradsOn = async (backend: string) => {
      await tf.setBackend(backend);
      const x = tf.tensor4d(Array.from({ length: 2 * 16 * 16 * 3 }, (_, i) => Math.sin(i)), [2, 16, 16, 3]);
      const w = tf.tensor4d(Array.from({ length: 4 * 4 * 3 * 8 }, (_, i) => Math.cos(i) / 10), [4, 4, 3, 8]);
      const grad = tf.grad((k: tf.Tensor) => tf.mean(tf.square(tf.maxPool(tf.relu(tf.conv2d(x, k as tf.Tensor4D, 1, 'same')), 4, 4, 'same'))))(w);
      return Array.from(await grad.data()); // async: WebGPU in Node has no synchronous read
    };
    const onGpu = await gradsOn('webgpu');
    const onCpu = await gradsOn('cpu');
    const scale = Math.max(...onCpu.map(Math.abs));
    expect(Math.max(...onCpu.map((v, i) => Math.abs(v - onGpu[i])))).toBeLessThan(1e-4 * scale);
  });

  (hasVulkan && testSet ? test : test.skip)(
    'labgrade train runs the ResNet50 recipe on webgpu inside the sandbox (a few steps)',
    async () => {
      const out = mkdtempSync(path.join(os.tmpdir(), 'labgrade-webgpu-'));
      const dataDir = path.resolve(testSet!, '..', '..');
      const r = await execaNode(path.join(projectRoot, 'bin', 'labgrade.js'), ['train', 'residual-networks', path.join(projectRoot, 'solutions'), '--out', out, '--data', dataDir, '--subset', '6', '--epochs', '2', '--batch-size', '5', '--backend', 'webgpu'], { reject: false, all: true });
      expect(r.stdout).toMatch(/^Training resNet50 from .* on webgpu \(.* via WebGPU \(Dawn\)\)/m);
      expect(r.stdout).toMatch(/epoch 2\/2: val_loss/);
      const training = JSON.parse(readFileSync(path.join(out, 'training.json'), 'utf8'));
      expect(training.history.loss.every(Number.isFinite)).toBe(true);
      expect(training.backend).toMatch(/^webgpu/);
    },
    400_000,
  );
});
