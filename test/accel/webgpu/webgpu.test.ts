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
import { activateBackend, STORAGE_BUFFERS_WANTED } from '../../../src/backends/choice.js';
import { batchNormTraining } from '../../../src/accel/training/fused-batch-norm.js';
import { fusedAdam } from '../../../src/accel/training/fused-adam.js';
import { useLabgradeTrainingCode } from '../../../src/accel/index.js';
import { ONE_SHADER_BATCH_NORM_FLAG } from '../../../src/accel/webgpu/training-kernels.js';
import { ADAM_FLAT, BATCH_NORM_TRAINING, FLAT_CONCAT, FLAT_SPLIT, NORMALIZE_GRAD, RELU_GRAD } from '../../../src/accel/kernel-names.js';
import { useReluGradKernel } from '../../../src/accel/training/relu-gradient.js';
import { useLabgradeWebgpuKernels } from '../../../src/accel/training/webgpu-kernel-swaps.js';
import { FILTER_BIAS_GRADIENT, TILED_FILTER_GRADIENT_FLAG } from '../../../src/accel/webgpu/filter-gradient.js';
import { recordShaders } from '../../../src/accel/webgpu/shader-record.js';
import { projectRoot } from '../../../src/paths.js';
import { sharedFile } from '../../shared-data.js';

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

  run('starts on the adapter and computes a small CNN\'s gradients as the cpu backend does, through labgrade\'s fused batch normalization', async () => {
    const active = await activateBackend(tf, 'webgpu', 'train');
    expect(active.name).toBe('webgpu');
    expect(active.device).toMatch(/via WebGPU \(Dawn\)/);
    expect(tf.env().getBool('WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE')).toBe(false);
    // Gradients for the input and both filters: the input gradient of a strided convolution
    // (Conv2DBackpropInput, matMul-based on webgpu) and the filter gradients, across a batch norm.
    const gradsOn = async (backend: string) => {
      await tf.setBackend(backend);
      const x = tf.tensor4d(Array.from({ length: 2 * 16 * 16 * 3 }, (_, i) => Math.sin(i)), [2, 16, 16, 3]);
      const w1 = tf.tensor4d(Array.from({ length: 4 * 4 * 3 * 8 }, (_, i) => Math.cos(i) / 10), [4, 4, 3, 8]);
      const w2 = tf.tensor4d(Array.from({ length: 3 * 3 * 8 * 4 }, (_, i) => Math.sin(i * 3) / 10), [3, 3, 8, 4]);
      const gamma = tf.tensor1d([1, 0.5, 2, 1.5, 1, 0.8, 1.2, 0.9]);
      const beta = tf.tensor1d([0, 0.1, -0.2, 0.3, 0, -0.1, 0.2, 0]);
      const loss = (xi: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => {
        const { normed, moments } = batchNormTraining(tf, tf.conv2d(xi as tf.Tensor4D, a as tf.Tensor4D, 1, 'same'), gamma, beta, 1e-3, { mean: tf.zerosLike(gamma), variance: tf.onesLike(gamma), decay: 0.1 });
        moments.dispose();
        const pooled = tf.maxPool(tf.relu(normed) as tf.Tensor4D, 2, 2, 'same');
        return tf.mean(tf.square(tf.conv2d(pooled, b as tf.Tensor4D, 2, 'same')));
      };
      const grads = tf.grads(loss)([x, w1, w2]);
      return Promise.all(grads.map(async (g) => Array.from(await g.data()))); // async: WebGPU in Node has no synchronous read
    };
    const onGpu = await gradsOn('webgpu');
    const onCpu = await gradsOn('cpu');
    onCpu.forEach((expected, i) => {
      const scale = Math.max(...expected.map(Math.abs));
      expect(Math.max(...expected.map((v, j) => Math.abs(v - onGpu[i][j])))).toBeLessThan(1e-4 * scale);
    });
  });

  run("labgrade's batch-normalization kernels give what its tfjs ops give on cpu, with and without the ReLU after, in one shader each way or two: output, moments, updated moving statistics and all five gradients", async () => {
    // Rows over and under a workgroup's 256 (the sums stride by 256), odd channel counts, ranks 4 and 2.
    const cases = [[[3, 10, 11, 5], true], [[2, 4, 4, 3], false], [[7, 6], true], [[7, 6], false]] as [number[], boolean][];
    for (const [[shape, relu], oneShader] of [...cases.map((c) => [c, true] as const), ...cases.map((c) => [c, false] as const)]) {
      const results = async (backend: 'cpu' | 'webgpu', shaders: string[] = []) => {
        await activateBackend(tf, backend, 'train');
        const recording = recordShaders(tf);
        const channels = shape[shape.length - 1];
        const count = shape.reduce((a, b) => a * b, 1);
        const x = tf.tensor(Array.from({ length: count }, (_, i) => 3 * Math.sin(i * 1.3) + (i % channels)), shape);
        const weights = tf.tensor(Array.from({ length: count }, (_, i) => Math.cos(i * 0.7)), shape);
        const gamma = tf.tensor1d(Array.from({ length: channels }, (_, i) => 1 + i / 4));
        const beta = tf.tensor1d(Array.from({ length: channels }, (_, i) => i / 10 - 0.2));
        const statistics = { mean: tf.tensor1d(Array.from({ length: channels }, (_, i) => i - 1)), variance: tf.tensor1d(Array.from({ length: channels }, (_, i) => 2 + i)), decay: 0.1 };
        const outputs: tf.Tensor[] = [];
        // The loss reads the updated moving statistics too: their gradients reach the old ones, not x.
        const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor) => {
          const { normed, moments, movingMean, movingVariance } = batchNormTraining(tf, a, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3, { mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D, decay: statistics.decay }, relu);
          outputs.push(tf.keep(normed.clone()), moments, tf.keep(movingMean.clone()), tf.keep(movingVariance.clone()));
          return tf.addN([tf.sum(tf.mul(tf.square(normed), weights)), tf.sum(tf.mul(movingMean, gamma)), tf.sum(tf.mul(movingVariance, beta))]);
        })([x, gamma, beta, statistics.mean, statistics.variance]);
        const model = tf.sequential({ layers: [tf.layers.batchNormalization({ inputShape: shape.slice(1), momentum: 0.9 })] });
        model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
        const restore = useLabgradeTrainingCode(tf, model);
        try {
          await model.fit(x, tf.zerosLike(x), { epochs: 2, batchSize: shape[0], shuffle: false, verbose: 0 });
        } finally {
          restore();
        }
        const moving = (model.layers[0] as unknown as { movingMean: { read(): tf.Tensor }; movingVariance: { read(): tf.Tensor } });
        const all = [...outputs, ...grads, moving.movingMean.read(), moving.movingVariance.read()];
        shaders.push(...(recording.stop() ?? []));
        return Promise.all(all.map(async (t) => Array.from(await t.data())));
      };
      const onCpu = await results('cpu');
      const shaders: string[] = [];
      await activateBackend(tf, 'webgpu', 'train'); // registers the flag
      tf.env().set(ONE_SHADER_BATCH_NORM_FLAG, oneShader);
      let onGpu: number[][];
      try {
        onGpu = await results('webgpu', shaders);
      } finally {
        tf.env().set(ONE_SHADER_BATCH_NORM_FLAG, true);
      }
      // Per layer and step, one shader each way (one forward and one backward a step), or two.
      const keys = oneShader ? ['labgrade_batch_norm', 'labgrade_normalize_grad'] : ['labgrade_moments', 'labgrade_normalize', 'labgrade_normalize_grad_stats', 'labgrade_normalize_grad_input'];
      expect({ oneShader, shaders: [...new Set(shaders.filter((k) => /moments|normalize|batch_norm/.test(k)).map((k) => k.replace(/_relu.*|_(\d|,).*/, '')))].sort() }).toEqual({ oneShader, shaders: [...keys].sort() });
      const names = ['output', 'moments', 'updated moving mean', 'updated moving variance', 'dx', 'dγ', 'dβ', 'd moving mean', 'd moving variance', "a layer's moving mean", "a layer's moving variance"];
      const errors = onCpu.map((expected, i) => {
        const scale = Math.max(1e-6, ...expected.map(Math.abs));
        return { name: names[i], error: Math.max(...expected.map((v, j) => Math.abs(v - onGpu[i][j]))) / scale };
      });
      expect({ shape, relu, oneShader, large: errors.filter((e) => !(e.error < 1e-5)) }).toEqual({ shape, relu, oneShader, large: [] });
    }
  });

  run('a batch normalization or an addition feeding only a ReLU applies it itself while labgrade trains on webgpu, and trains to what the cpu backend trains', async () => {
    // Three batch normalizations: one feeding a ReLU alone (fused), one whose output is also a
    // model output (not), one feeding a ReLU and an addition (not); that addition feeds a ReLU alone (fused).
    const build = () => {
      const input = tf.input({ shape: [5, 5, 3] });
      const conv = (filters: number, seed: number) => tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed }) });
      const fused = tf.layers.activation({ activation: 'relu' }).apply(tf.layers.batchNormalization({ axis: 3 }).apply(conv(4, 1).apply(input))) as tf.SymbolicTensor;
      const exposed = tf.layers.batchNormalization({ axis: 3 }).apply(conv(4, 2).apply(fused)) as tf.SymbolicTensor;
      const exposedRelu = tf.layers.activation({ activation: 'relu' }).apply(exposed) as tf.SymbolicTensor;
      const third = tf.layers.batchNormalization({ axis: 3 }).apply(conv(4, 3).apply(exposedRelu)) as tf.SymbolicTensor;
      const added = tf.layers.add().apply([tf.layers.activation({ activation: 'relu' }).apply(third) as tf.SymbolicTensor, third]) as tf.SymbolicTensor;
      const head = tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(tf.layers.flatten().apply(tf.layers.activation({ activation: 'relu' }).apply(added))) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: [head, exposed] });
    };
    const x = () => tf.tensor4d(Array.from({ length: 4 * 5 * 5 * 3 }, (_, i) => Math.sin(i * 0.9) * 2), [4, 5, 5, 3]);
    const trainOn = async (backend: 'cpu' | 'webgpu', shaders: string[] = []) => {
      await activateBackend(tf, backend, 'train');
      const model = build();
      // A loss a sample for both outputs: tfjs-layers adds the outputs' losses as they come.
      const perSample = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.mean(tf.square(tf.sub(yPred, yTrue)), [...Array(yPred.rank).keys()].slice(1));
      model.compile({ optimizer: tf.train.sgd(0.05), loss: [perSample, perSample] });
      const recording = recordShaders(tf);
      const restore = useLabgradeTrainingCode(tf, model);
      let predicted: tf.Tensor[];
      let validationLosses: number[];
      try {
        // Validation and prediction while the pairs are marked: they run the layers' own code.
        const history = await model.fit(tf.concat([x(), x()]), [tf.ones([8, 2]), tf.zeros([8, 5, 5, 4])], { epochs: 3, batchSize: 4, validationSplit: 0.5, shuffle: false, verbose: 0 });
        validationLosses = history.history.val_loss as number[];
        predicted = model.predict(x()) as tf.Tensor[];
      } finally {
        restore();
        shaders.push(...(recording.stop() ?? []));
      }
      return [validationLosses, ...(await Promise.all([...model.getWeights(), ...predicted].map(async (t) => Array.from(await t.data()))))];
    };
    const shaders: string[] = [];
    const onGpu = await trainOn('webgpu', shaders);
    const onCpu = await trainOn('cpu');
    // Three steps: the first normalization applied the ReLU itself, forward and backward; the ReLU
    // gradients left are the other three activations'.
    // The addition applied the ReLU after it too (its gradient is a ReluGrad still); the three
    // convolutions' filter and bias gradients each came from one shader.
    expect(['labgrade_batch_norm_relu', 'labgrade_normalize_grad_relu', 'labgrade_add_relu', 'labgrade_relu_grad', 'labgrade_filter_bias_gradient'].map((key) => shaders.filter((k) => k.startsWith(key)).length)).toEqual([3, 3, 3, 9, 9]);
    // Relative to at least 1: the biases of the convolutions before a normalization have a gradient
    // of zero, computed as rounding noise, so they stay within 1e-9 of zero on either backend. The
    // predictions and validation losses (up to 1e3, through moving statistics 3 steps old) carry
    // float32 rounding of both backends' different summation orders: 1e-4.
    const error = Math.max(...onCpu.map((expected, i) => Math.max(...expected.map((v, j) => Math.abs(v - onGpu[i][j]))) / Math.max(1, ...expected.map(Math.abs))));
    expect(error).toBeLessThan(1e-4);
  });

  run("an addition feeding only a ReLU runs labgrade's AddRelu while labgrade trains on webgpu: relu(a + b) and both inputs' gradients as tfjs's layers give them there, NaN and signed zeros included, and for a tensor added to itself", async () => {
    const a = [-2, -0, 0, 1e-30, 3, NaN, -Infinity, Infinity, 0.5, -1e-30, 2, -3];
    const b = [1, -0, -0, -1e-30, -4, 1, 5, 1, 0.25, 0, -2, 1];
    const show = (values: number[]) => values.map((v) => (Object.is(v, -0) ? '-0' : String(v)));
    // The output, the inputs' gradients and the kernels that ran. tfjs's own webgpu ReLU passes −0
    // (its cpu one gives 0): the comparison is with tfjs's layers on webgpu.
    const valuesWith = async (labgradeCode: boolean, itself: boolean) => {
      await activateBackend(tf, 'webgpu', 'train');
      const inputs = itself ? [tf.input({ shape: [a.length] })] : [tf.input({ shape: [a.length] }), tf.input({ shape: [a.length] })];
      const added = tf.layers.add().apply(itself ? [inputs[0], inputs[0]] : inputs) as tf.SymbolicTensor;
      const model = tf.model({ inputs, outputs: tf.layers.activation({ activation: 'relu' }).apply(added) as tf.SymbolicTensor });
      const weights = tf.tensor2d([a.map((_, i) => (i % 2 ? -1 : 1) * (i + 1))]);
      const restore = labgradeCode ? useLabgradeTrainingCode(tf, model) : () => undefined;
      try {
        let output: tf.Tensor | null = null;
        let grads: tf.Tensor[] = [];
        const loss = (...xs: tf.Tensor[]) => {
          output = tf.keep(model.apply(xs, { training: true }) as tf.Tensor); // tf.grads disposes what it does not return
          return tf.sum(tf.mul(output, weights));
        };
        const profile = await tf.profile(() => {
          grads = tf.grads(loss)(itself ? [tf.tensor2d([a])] : [tf.tensor2d([a]), tf.tensor2d([b])]);
        });
        return { values: await Promise.all([output!, ...grads].map(async (t) => show(Array.from(await t.data())))), kernels: new Set(profile.kernels.map((k) => k.name)) };
      } finally {
        restore();
      }
    };
    for (const itself of [false, true]) {
      const stock = await valuesWith(false, itself);
      const fused = await valuesWith(true, itself);
      expect({ itself, values: fused.values }).toEqual({ itself, values: stock.values });
      if (!itself) expect(fused.values[0]).toContain('-0');
      const ran = (kernels: Set<string>) => ['LabgradeAddRelu', 'LabgradeReluGrad', 'Add', 'Relu'].filter((name) => kernels.has(name));
      expect({ itself, stock: ran(stock.kernels), fused: ran(fused.kernels) }).toEqual({ itself, stock: ['Add', 'Relu'], fused: itself ? ['LabgradeAddRelu', 'LabgradeReluGrad', 'Add'] : ['LabgradeAddRelu', 'LabgradeReluGrad'] });
    }
  });

  run("the one-kernel ReLU gradient gives tfjs's dy·step(x) on cpu, NaN and signed zeros included, and tfjs's gradient comes back", async () => {
    const values = [-2, -0, 0, 1e-30, 3, NaN, -Infinity, Infinity, 0.5, -1e-30];
    const gradOn = async (backend: 'cpu' | 'webgpu', kernel: boolean) => {
      await activateBackend(tf, backend, 'train');
      const restore = kernel ? useReluGradKernel(tf) : () => undefined;
      try {
        const x = tf.tensor1d(values);
        const weights = tf.tensor1d(values.map((_, i) => (i % 2 ? -1 : 1) * (i + 1)));
        let kernels: string[] = [];
        let grad: number[] = [];
        kernels = (await tf.profile(async () => {
          grad = Array.from(await tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.relu(t), weights)))(x).data());
        })).kernels.map((k) => k.name);
        return { grad, kernels };
      } finally {
        restore();
      }
    };
    const stock = tf.getGradient('Relu');
    const expected = await gradOn('cpu', false);
    const fused = await gradOn('webgpu', true);
    expect(fused.kernels).toContain(RELU_GRAD);
    expect(fused.kernels).not.toContain('Step');
    expect(fused.grad.map((v) => Object.is(v, -0) ? '-0' : String(v))).toEqual(expected.grad.map((v) => Object.is(v, -0) ? '-0' : String(v)));
    expect(tf.getGradient('Relu')).toBe(stock);
    // Installed on webgpu, then a backend without the kernel: tfjs's own gradient runs there.
    await activateBackend(tf, 'webgpu', 'train');
    const restore = useReluGradKernel(tf);
    try {
      await tf.setBackend('cpu');
      const onCpu = Array.from(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.relu(t), tf.tensor1d(values.map((_, i) => (i % 2 ? -1 : 1) * (i + 1))))))(tf.tensor1d(values)).dataSync());
      expect(onCpu.map(String)).toEqual(expected.grad.map(String));
    } finally {
      restore();
    }
  });

  run("the fused Adam on webgpu (FlatConcat of the gradients, AdamFlat over the variables' flat values kept from the last step, one FlatSplit) gives what tf.train.adam gives on cpu, a learning rate changed and a variable assigned midway included", async () => {
    const train = async (backend: 'cpu' | 'webgpu', optimizer: () => tf.Optimizer) => {
      const { device } = await activateBackend(tf, backend, 'train');
      const adam = optimizer();
      const variables = Array.from({ length: 12 }, (_, i) => tf.variable(tf.tensor(Array.from({ length: (i % 4) + 2 }, (_, j) => Math.sin(i * 7 + j)), i % 2 ? [(i % 4) + 2] : [1, (i % 4) + 2])));
      // Summed pairwise: tfjs's addN fails on webgpu past the storage buffers a shader takes. The
      // first variable's gradients are ~1e-9, where ε (1e-7) decides the step.
      const loss = () => variables.map((v, i) => tf.sum(tf.mul(tf.square(tf.sub(v, i / 10)), i === 0 ? 1e-9 : 1 + (i % 3)))).reduce((a, b) => tf.add(a, b)) as tf.Scalar;
      const kernels: string[][] = [];
      for (let step = 0; step < 5; step++) {
        // As ReduceLROnPlateau does: AdamFlat takes the rate as a uniform, read each step.
        if (step === 3) (adam as unknown as { learningRate: number }).learningRate /= 10;
        // As setWeights does: the flat values kept from the last step are stale, and must be made again.
        if (step === 2) variables[5].assign(tf.fill(variables[5].shape, 0.25));
        const { value, grads } = tf.variableGrads(loss);
        kernels.push((await tf.profile(() => adam.applyGradients(grads))).kernels.map((k) => k.name));
        tf.dispose([value, ...Object.values(grads)]);
      }
      const values = await Promise.all(variables.map(async (v) => Array.from(await v.data())));
      tf.dispose(variables);
      adam.dispose();
      return { values, kernels, device };
    };
    const expected = await train('cpu', () => tf.train.adam(0.05));
    const fused = await train('webgpu', () => fusedAdam(tf, { learningRate: 0.05 }));
    // Each step: FlatConcat of the twelve gradients, AdamFlat, FlatSplit; FlatConcat of the twelve
    // variables too at the first step and after one was assigned. No other kernel: the arithmetic
    // is AdamFlat's, β^t is kept on the CPU.
    expect(fused.kernels).toEqual([0, 1, 2, 3, 4].map((step) => [...([0, 2].includes(step) ? [FLAT_CONCAT] : []), FLAT_CONCAT, ADAM_FLAT, FLAT_SPLIT]));
    // The same arithmetic in float32: over lavapipe bit for bit; a GPU's compiler may contract to
    // fused multiply-adds.
    if (fused.device.includes('llvmpipe')) expect(fused.values).toEqual(expected.values);
    else expect(Math.max(...fused.values.flat().map((v, i) => Math.abs(v - expected.values.flat()[i])))).toBeLessThanOrEqual(1e-6);
  });

  run('FlatSplit writes as many tensors a shader as the device takes storage buffers, less one, each its own, any shape (empty ones too), and undoes FlatConcat', async () => {
    await activateBackend(tf, 'webgpu', 'train');
    const shapes = [[3], [2, 2], [1, 1, 5], [0], [2, 3, 1, 2], [1], [4], [2, 0], [300], [7], [1, 2], [5], [3, 3], [2], [6], [1, 1], [9], ...Array.from({ length: 20 }, (_, i) => [i + 1, 2])];
    const parts = shapes.map((shape, p) => tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(p * 31 + i) * 1e3), shape));
    const gpu = tf.backend() as unknown as { device: { limits: { maxStorageBuffersPerShaderStage: number } } };
    const recording = recordShaders(tf);
    let programs: string[];
    let split: tf.Tensor[];
    try {
      const flat = tf.engine().runKernel(FLAT_CONCAT, Object.fromEntries(parts.map((t, i) => [i, t]))) as tf.Tensor;
      split = tf.engine().runKernel(FLAT_SPLIT, { flat }, { shapes } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    } finally {
      programs = recording.stop()!;
    }
    // 35 tensors hold values: over lavapipe (16 storage buffers a shader, all of which labgrade asks
    // for) 3 shaders to concatenate them and 3 to split, 15 tensors each.
    const perShader = gpu.device.limits.maxStorageBuffersPerShaderStage - 1;
    const adapter = (await (navigator as unknown as { gpu: { requestAdapter(): Promise<{ limits: { maxStorageBuffersPerShaderStage: number } }> } }).gpu.requestAdapter());
    expect(perShader + 1).toBe(Math.min(STORAGE_BUFFERS_WANTED, adapter.limits.maxStorageBuffersPerShaderStage));
    expect(programs.filter((key) => key.startsWith('labgrade_flat_concat'))).toHaveLength(Math.ceil(35 / perShader));
    expect(programs.filter((key) => key.startsWith('labgrade_flat_split'))).toHaveLength(Math.ceil(35 / perShader));
    expect(Object.getOwnPropertyNames(gpu.device)).not.toContain('createShaderModule');
    expect(split.map((t) => t.shape)).toEqual(shapes);
    const values = await Promise.all(split.map(async (t) => Array.from(await t.data())));
    const expected = await Promise.all(parts.map(async (t) => Array.from(await t.data())));
    expect(values).toEqual(expected);
    const empties = [tf.zeros([0]), tf.zeros([2, 0])];
    const none = tf.engine().runKernel(FLAT_CONCAT, { 0: empties[0], 1: empties[1] }) as tf.Tensor;
    expect([none.shape, Array.from(await none.data())]).toEqual([[0], []]);
    tf.dispose([...empties, none]);
    const flat = tf.zeros([10]);
    expect(() => tf.engine().runKernel(FLAT_SPLIT, { flat }, { shapes: [[3], [3]] } as unknown as tf.NamedAttrMap)).toThrow('LabgradeFlatSplit: shapes of 6 values in all do not split a flat tensor of shape [10]');
    tf.dispose([...parts, ...split, flat]);
  });

  run('AdamFlat takes flat tensors of one size and two bias corrections, and gives three empty ones for empty ones', async () => {
    await activateBackend(tf, 'webgpu', 'train');
    const attrs = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7, learningRate: 0.01 } as unknown as tf.NamedAttrMap;
    const [four, three, biasCorrections] = [tf.zeros([4]), tf.zeros([3]), tf.tensor1d([0.1, 0.001])];
    expect(() => tf.engine().runKernel(ADAM_FLAT, { gradient: four, m: four, v: three, variables: four, biasCorrections }, attrs)).toThrow('LabgradeAdamFlat: gradient has shape [4], v [3]; all must be the same flat shape');
    expect(() => tf.engine().runKernel(ADAM_FLAT, { gradient: four, m: four, v: four, variables: four, biasCorrections: three }, attrs)).toThrow('LabgradeAdamFlat: biasCorrections must have shape [2] (1 − β1^t, 1 − β2^t), got [3]');
    const empty = tf.zeros([0]);
    const outputs = tf.engine().runKernel(ADAM_FLAT, { gradient: empty, m: empty, v: empty, variables: empty, biasCorrections }, attrs) as tf.Tensor[];
    expect(await Promise.all(outputs.map(async (t) => [t.shape, Array.from(await t.data())]))).toEqual([[[0], []], [[0], []], [[0], []]]);
    tf.dispose([four, three, biasCorrections, empty, ...outputs]);
  });

  run('labgrade\'s kernels that write several tensors free all they made when any of their shaders fails', async () => {
    await activateBackend(tf, 'webgpu', 'train');
    const gpu = tf.backend() as unknown as { runWebGPUProgram(...args: unknown[]): unknown; numDataIds(): number; device: { limits: { maxStorageBuffersPerShaderStage: number } } };
    const stock = gpu.runWebGPUProgram;
    // A read submits the recorded shaders: a tensor disposed while one of them still writes it goes then.
    const submitted = async () => {
      const probe = tf.tidy(() => tf.scalar(1).add(1));
      await probe.data();
      probe.dispose();
    };
    const values = (shape: number[]) => tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i + 1)), shape);
    const [x, dy, y] = [values([2, 5, 5, 3]), values([2, 5, 5, 3]), values([2, 5, 5, 3])];
    const [gamma, beta, movingMean, movingVariance] = [values([3]), values([3]), tf.zeros([3]), tf.ones([3])];
    const moments = values([2, 3]);
    const convDy = values([2, 5, 5, 4]);
    // More tensors than one FlatConcat or FlatSplit shader takes: two shaders each.
    const parts = Array.from({ length: gpu.device.limits.maxStorageBuffersPerShaderStage + 4 }, () => values([3]));
    const flat = values([3 * parts.length]);
    const adamInputs = { gradient: values([6]), m: values([6]), v: tf.ones([6]), variables: values([6]), biasCorrections: tf.tensor1d([0.1, 0.001]) };
    const adamAttrs = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7, learningRate: 0.01 };
    const calls: [string, () => unknown][] = [
      ['FlatConcat', () => tf.engine().runKernel(FLAT_CONCAT, Object.fromEntries(parts.map((t, i) => [i, t])))],
      ['FlatSplit', () => tf.engine().runKernel(FLAT_SPLIT, { flat }, { shapes: parts.map((t) => t.shape) } as unknown as tf.NamedAttrMap)],
      ['AdamFlat', () => tf.engine().runKernel(ADAM_FLAT, adamInputs, adamAttrs as unknown as tf.NamedAttrMap)],
      ['the batch normalization', () => tf.engine().runKernel(BATCH_NORM_TRAINING, { x, gamma, beta, movingMean, movingVariance }, { epsilon: 1e-3, decay: 0.1, relu: false } as unknown as tf.NamedAttrMap)],
      ['its gradient', () => tf.engine().runKernel(NORMALIZE_GRAD, { dy, x, moments, gamma }, { epsilon: 1e-3 } as unknown as tf.NamedAttrMap)],
      ['its gradient through a ReLU', () => tf.engine().runKernel(NORMALIZE_GRAD, { dy, x, moments, gamma, y }, { epsilon: 1e-3 } as unknown as tf.NamedAttrMap)],
      ['the filter and bias gradient', () => tf.engine().runKernel(FILTER_BIAS_GRADIENT, { x, dy: convDy }, { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 4] } as unknown as tf.NamedAttrMap)],
    ];
    const shadersRun: Record<string, number[]> = {};
    try {
      for (const oneShader of [true, false]) {
        tf.env().set(ONE_SHADER_BATCH_NORM_FLAG, oneShader);
        for (const [name, call] of calls) {
          let shaders: number;
          const recording = recordShaders(tf);
          try {
            tf.dispose(call() as tf.Tensor | tf.Tensor[]);
          } finally {
            shaders = recording.stop()!.length;
          }
          await submitted();
          const before = gpu.numDataIds();
          // Each of its shaders fails in turn, the ones before it having written their tensors.
          for (let failing = 1; failing <= shaders; failing++) {
            let n = 0;
            gpu.runWebGPUProgram = (...args: unknown[]) => {
              if (++n === failing) throw new Error(`shader ${n} failed`);
              return stock.apply(gpu, args);
            };
            expect(call).toThrow(`shader ${failing} failed`);
            delete (gpu as Partial<typeof gpu>).runWebGPUProgram; // the backend's own again
            await submitted();
            expect({ name, oneShader, failing, dataIds: gpu.numDataIds() }).toEqual({ name, oneShader, failing, dataIds: before });
          }
          (shadersRun[name] ??= []).push(shaders);
        }
      }
    } finally {
      delete (gpu as Partial<typeof gpu>).runWebGPUProgram;
      tf.env().set(ONE_SHADER_BATCH_NORM_FLAG, true);
    }
    // Every shader of every kernel failed once: FlatConcat and FlatSplit ran two each, the batch
    // normalization and its gradients two when not in one shader.
    expect(shadersRun).toEqual({
      FlatConcat: [2, 2],
      FlatSplit: [2, 2],
      AdamFlat: [1, 1],
      'the batch normalization': [1, 2],
      'its gradient': [1, 2],
      'its gradient through a ReLU': [1, 2],
      'the filter and bias gradient': [1, 1],
    });
    tf.dispose([x, dy, y, gamma, beta, movingMean, movingVariance, moments, convDy, ...parts, flat, ...Object.values(adamInputs)]);
  });

  run('the input gradient webgpu trains with (matMul-based) matches the cpu backend on strided, padded and 1×1 shapes', async () => {
    await activateBackend(tf, 'webgpu', 'train');
    const cases: { x: [number, number, number, number]; filter: [number, number, number, number]; strides: number; pad: 'same' | 'valid' }[] = [
      { x: [2, 9, 9, 4], filter: [1, 1, 4, 6], strides: 2, pad: 'valid' },
      { x: [2, 16, 16, 3], filter: [7, 7, 3, 4], strides: 2, pad: 'valid' },
      { x: [2, 8, 8, 4], filter: [3, 3, 4, 4], strides: 2, pad: 'same' },
      { x: [1, 7, 6, 2], filter: [4, 4, 2, 3], strides: 3, pad: 'same' },
      { x: [2, 9, 9, 4], filter: [3, 3, 4, 5], strides: 1, pad: 'same' },
    ];
    for (const c of cases) {
      const valuesOn = async (backend: string) => {
        await tf.setBackend(backend);
        const filter = tf.tensor4d(Array.from({ length: c.filter.reduce((a, b) => a * b) }, (_, i) => Math.cos(i * 1.3)), c.filter);
        const outShape = tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, filter, c.strides, c.pad).shape;
        const dy = tf.tensor4d(Array.from({ length: outShape.reduce((a, b) => a * b) }, (_, i) => Math.sin(i * 0.7)), outShape);
        return Array.from(await tf.conv2dTranspose(dy, filter, c.x, c.strides, c.pad).data());
      };
      const onGpu = await valuesOn('webgpu');
      const onCpu = await valuesOn('cpu');
      const error = Math.max(...onCpu.map((v, i) => Math.abs(v - onGpu[i]))) / Math.max(...onCpu.map(Math.abs));
      expect({ case: c, close: error < 1e-5 }).toEqual({ case: c, close: true }); // names the case that fails
    }
  });

  run("the tiled filter gradient labgrade trains with, alone and with the bias gradient from the same shader, matches the cpu backend (strides, padding, 1×1 and 7×7 filters, tiles and sums not multiples of 32), tfjs's runs with its flag off and comes back", async () => {
    await activateBackend(tf, 'webgpu', 'train');
    const stock = tf.getKernel('Conv2DBackpropFilter', 'webgpu')!.kernelFunc;
    const cases: { x: [number, number, number, number]; filter: [number, number, number, number]; strides: number; pad: 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]] }[] = [
      { x: [2, 9, 9, 4], filter: [1, 1, 4, 6], strides: 2, pad: 'valid' },
      { x: [3, 22, 22, 3], filter: [7, 7, 3, 37], strides: 2, pad: 'valid' },
      { x: [2, 8, 8, 40], filter: [3, 3, 40, 33], strides: 2, pad: 'same' },
      { x: [1, 7, 6, 2], filter: [4, 4, 2, 3], strides: 3, pad: 'same' },
      { x: [2, 9, 9, 4], filter: [3, 3, 4, 5], strides: 1, pad: [[0, 0], [2, 1], [0, 2], [0, 0]] },
      { x: [4, 5, 5, 70], filter: [1, 1, 70, 65], strides: 1, pad: 'valid' },
    ];
    const restore = useLabgradeWebgpuKernels(tf);
    try {
      const swapped = tf.getKernel('Conv2DBackpropFilter', 'webgpu')!.kernelFunc;
      expect(swapped).not.toBe(stock);
      // A second install (a training inside a training) changes nothing, nor does its restore.
      const inner = useLabgradeWebgpuKernels(tf);
      expect(tf.getKernel('Conv2DBackpropFilter', 'webgpu')!.kernelFunc).toBe(swapped);
      inner();
      expect(tf.getKernel('Conv2DBackpropFilter', 'webgpu')!.kernelFunc).toBe(swapped);
      for (const c of cases) {
        // dW from Conv2DBackpropFilter, and on webgpu dW and db from FILTER_BIAS_GRADIENT too; db on cpu is tfjs's sum of dy.
        const valuesOn = async (backend: string) => {
          await tf.setBackend(backend);
          const x = tf.tensor4d(Array.from({ length: c.x.reduce((a, b) => a * b) }, (_, i) => Math.cos(i * 1.3)), c.x);
          const outShape = tf.conv2d(x, tf.zeros(c.filter) as tf.Tensor4D, c.strides, c.pad).shape;
          const dy = tf.tensor4d(Array.from({ length: outShape.reduce((a, b) => a * b) }, (_, i) => Math.sin(i * 0.7) + 0.1), outShape);
          const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter } as unknown as tf.NamedAttrMap;
          const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as tf.Tensor;
          expect(dw.shape).toEqual(c.filter);
          const both = backend === 'webgpu' ? (tf.engine().runKernel(FILTER_BIAS_GRADIENT, { x, dy }, attrs) as tf.Tensor[]) : [dw, tf.sum(dy, [0, 1, 2])];
          expect(both.map((t) => t.shape)).toEqual([c.filter, [c.filter[3]]]);
          return Promise.all([dw, ...both].map(async (t) => Array.from(await t.data())));
        };
        const onGpu = await valuesOn('webgpu');
        const onCpu = await valuesOn('cpu');
        const errors = onCpu.map((expected, k) => Math.max(...expected.map((v, i) => Math.abs(v - onGpu[k][i]))) / Math.max(...expected.map(Math.abs)));
        expect({ case: c, close: errors.map((e) => e < 1e-5) }).toEqual({ case: c, close: [true, true, true] }); // names the case that fails
      }
      // Which shader runs: labgrade's, or tfjs's with the flag off.
      await tf.setBackend('webgpu');
      const recording = recordShaders(tf);
      let keys: string[];
      try {
        const gradient = () => tf.tidy(() => tf.grad((w: tf.Tensor) => tf.conv2d(tf.ones([1, 4, 4, 2]) as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid'))(tf.ones([3, 3, 2, 2])));
        tf.dispose(gradient());
        tf.env().set(TILED_FILTER_GRADIENT_FLAG, false);
        tf.dispose(gradient());
      } finally {
        tf.env().set(TILED_FILTER_GRADIENT_FLAG, true);
        keys = recording.stop()!;
      }
      expect(keys.filter((key) => /filter|Filter/.test(key))).toEqual(['labgrade_filter_gradient', 'conv2DDerFilter_true']);
    } finally {
      restore();
    }
    expect(tf.getKernel('Conv2DBackpropFilter', 'webgpu')!.kernelFunc).toBe(stock);
  });

  run("while labgrade trains, a convolution with a bias and no activation takes its filter and bias gradients from one shader, as the cpu backend computes them; with an activation, in inference and with the flag off tfjs's op runs, and comes back", async () => {
    await activateBackend(tf, 'webgpu', 'train');
    const stock = tf.fused.conv2d;
    type Case = { x: [number, number, number, number]; filter: [number, number, number, number]; strides: number; pad: 'same' | 'valid'; activation?: 'relu' };
    const cases: Case[] = [
      { x: [2, 7, 7, 3], filter: [3, 3, 3, 5], strides: 2, pad: 'same' },
      { x: [2, 7, 7, 3], filter: [3, 3, 3, 5], strides: 2, pad: 'same', activation: 'relu' },
      // A sum of 147 (five steps of 32), 360 filter rows and 37 channels: several workgroups each way.
      { x: [3, 9, 9, 40], filter: [3, 3, 40, 37], strides: 1, pad: 'valid' },
    ];
    const conv = (c: Case, x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, bias: b, strides: c.strides, pad: c.pad, activation: c.activation });
    const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
    const inputs = (c: Case) => [
      tf.tensor4d(Array.from({ length: size(c.x) }, (_, i) => Math.sin(i * 0.9)), c.x),
      tf.tensor4d(Array.from({ length: size(c.filter) }, (_, i) => Math.cos(i * 0.4) / 3), c.filter),
      tf.tensor1d(Array.from({ length: c.filter[3] }, (_, i) => Math.sin(i) / 2)),
    ];
    // The gradients of x, the filter and the bias, and the shaders that ran.
    const gradsOn = async (backend: string, c: Case) => {
      await tf.setBackend(backend);
      const recording = recordShaders(tf);
      try {
        const grads = tf.grads((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.sub(conv(c, x, w, b), 0.2))))(inputs(c));
        return { values: await Promise.all(grads.map(async (g) => Array.from(await g.data()))), shaders: recording.stop() ?? [] };
      } finally {
        recording.stop();
      }
    };
    const ops = async (f: () => tf.Tensor) => (await tf.profile(async () => (await f().data(), tf.tensor(0)))).kernels.map((k) => k.name).filter((name) => name.endsWith('__op'));
    const restore = useLabgradeTrainingCode(tf);
    try {
      expect(tf.fused.conv2d).not.toBe(stock);
      for (const c of cases) {
        const onGpu = await gradsOn('webgpu', c);
        const onCpu = await gradsOn('cpu', c);
        const errors = onCpu.values.map((expected, k) => Math.max(...expected.map((v, i) => Math.abs(v - onGpu.values[k][i]))) / Math.max(...expected.map(Math.abs)));
        expect({ c, close: errors.map((e) => e < 1e-5) }).toEqual({ c, close: [true, true, true] });
        const ours = !c.activation;
        expect({ c, shaders: onGpu.shaders.filter((key) => /filter|Filter|column_sums/.test(key)).sort() }).toEqual({ c, shaders: ours ? ['labgrade_filter_bias_gradient'] : ['labgrade_column_sums', 'labgrade_filter_gradient'] });
      }
      await tf.setBackend('webgpu');
      const [x, w, b] = inputs(cases[0]);
      const recorded = async () => ops(() => tf.grad((v: tf.Tensor) => tf.sum(conv(cases[0], v, w, b)))(x));
      expect(await recorded()).toContain('labgradeFusedConv2d__op');
      expect(await ops(() => conv(cases[0], x, w, b))).toEqual(['fusedConv2d__op']); // inference
      tf.env().set(TILED_FILTER_GRADIENT_FLAG, false);
      try {
        expect(await recorded()).not.toContain('labgradeFusedConv2d__op');
      } finally {
        tf.env().set(TILED_FILTER_GRADIENT_FLAG, true);
      }
      // A second install (a training inside a training) leaves the op in.
      const op = tf.fused.conv2d;
      useLabgradeTrainingCode(tf)();
      expect(tf.fused.conv2d).toBe(op);
    } finally {
      restore();
    }
    expect(tf.fused.conv2d).toBe(stock);
  });

  run('a shader whose uniforms recur binds the buffer written for them the first time: running ops again writes no uniform, and computes as before', async () => {
    await activateBackend(tf, 'webgpu', 'train');
    const queue = (tf.backend() as unknown as { queue: { writeBuffer(buffer: { usage: number }, ...rest: unknown[]): void } }).queue;
    const writeBuffer = queue.writeBuffer;
    let uniformWrites = 0;
    queue.writeBuffer = function counted(buffer, ...rest) {
      if (buffer.usage & 0x40) uniformWrites++; // GPUBufferUsage.UNIFORM
      return writeBuffer.call(this, buffer, ...rest);
    };
    try {
      // Past the 1,000 values under which tfjs computes on the CPU, in a shape no other test uses.
      const x = tf.tensor2d(Array.from({ length: 37 * 41 }, (_, i) => (i % 5) - 2), [37, 41]);
      const expected = Array.from({ length: 37 * 41 }, (_, i) => ((i % 5) - 2) ** 2 - 1).map((v) => Math.max(v, 0));
      const run = async () => {
        uniformWrites = 0;
        const recording = recordShaders(tf);
        const y = tf.relu(tf.sub(tf.mul(x, x), 1));
        const shaders = recording.stop()!.length;
        return { values: Array.from(await y.data()), shaders, uniformWrites };
      };
      expect(await run()).toEqual({ values: expected, shaders: 3, uniformWrites: 3 });
      expect(await run()).toEqual({ values: expected, shaders: 3, uniformWrites: 0 });
    } finally {
      queue.writeBuffer = writeBuffer;
    }
  });

  run("a sum over every axis but the last runs labgrade's one shader while labgrade trains, other sums tfjs's, all as the cpu backend sums", async () => {
    await activateBackend(tf, 'webgpu', 'train');
    const cases: { shape: number[]; axis: number | number[]; keepDims?: boolean; dtype?: 'int32'; ours: boolean }[] = [
      { shape: [3, 10, 11, 5], axis: [0, 1, 2], ours: true },
      { shape: [2, 300, 3], axis: [1, 0], keepDims: true, ours: true }, // rows past a workgroup's 256
      { shape: [7, 6], axis: 0, ours: true },
      { shape: [2, 3, 4], axis: [-3, -2], ours: true },
      { shape: [2, 70_000], axis: 0, ours: false }, // more channels than a dispatch dimension's workgroups
      { shape: [4, 5], axis: 1, ours: false },
      { shape: [4, 5], axis: [0, 1], ours: false },
      { shape: [9], axis: 0, ours: false },
      { shape: [3, 4], axis: 0, dtype: 'int32', ours: false },
    ];
    const restore = useLabgradeWebgpuKernels(tf);
    try {
      for (const c of cases) {
        const sumOn = async (backend: string, keys: string[] = []) => {
          await tf.setBackend(backend);
          const count = c.shape.reduce((a, b) => a * b, 1);
          const x = tf.tensor(Array.from({ length: count }, (_, i) => (c.dtype ? i % 7 : Math.sin(i * 0.37) * 3)), c.shape, c.dtype);
          const recording = recordShaders(tf);
          try {
            const sum = tf.sum(x, c.axis, c.keepDims);
            return { shape: sum.shape, values: Array.from(await sum.data()) };
          } finally {
            keys.push(...(recording.stop() ?? []));
          }
        };
        const keys: string[] = [];
        const onGpu = await sumOn('webgpu', keys);
        const onCpu = await sumOn('cpu');
        const error = Math.max(...onCpu.values.map((v, i) => Math.abs(v - onGpu.values[i]))) / Math.max(1, ...onCpu.values.map(Math.abs));
        expect({ case: c, shape: onGpu.shape, close: error < 1e-5, ours: keys.join() === 'labgrade_column_sums' }).toEqual({ case: c, shape: onCpu.shape, close: true, ours: c.ours });
      }
    } finally {
      restore();
    }
  });

  (hasVulkan && testSet ? test : test.skip)(
    'labgrade train runs the ResNet50 recipe on webgpu inside the sandbox (a few steps)',
    async () => {
      const out = mkdtempSync(path.join(os.tmpdir(), 'labgrade-webgpu-'));
      const dataDir = path.resolve(testSet!, '..', '..');
      const r = await execaNode(path.join(projectRoot, 'bin', 'labgrade.js'), ['train', 'residual-networks', path.join(projectRoot, 'solutions'), '--out', out, '--data', dataDir, '--subset', '6', '--epochs', '1', '--batch-size', '5', '--backend', 'webgpu', '--no-score'], { reject: false, all: true });
      expect(r.stdout).toMatch(/^Training resNet50 from .* on webgpu \(.* via WebGPU \(Dawn\)\)/m);
      expect(r.stdout).toMatch(/epoch 1\/1: val_loss/);
      const training = JSON.parse(readFileSync(path.join(out, 'training.json'), 'utf8'));
      expect(training.history.loss.every(Number.isFinite)).toBe(true);
      expect(training.backend).toMatch(/^webgpu/);
      expect(r.stdout).toMatch(/^Not scored here: turned off \(--no-score\)\. Saved /m);
    },
    400_000,
  );
});
