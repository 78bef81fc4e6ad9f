/**
 * Kernels labgrade's WebGPU training calls in place of chains of tfjs ops: on WebGPU a step's time
 * goes to dispatching kernels and recording their shaders, so the fewer, the faster (the figures:
 * docs/bench/webgpu-kernels.md). Each kernel does the arithmetic of the ops it replaces.
 *
 * tfjs-backend-webgpu's shaders write one tensor each; several of these write several
 * (runWritingOutputs), each still its own buffer, as tfjs keeps every tensor.
 *
 * FlatConcat (any number of tensors, any shapes): their values one after another, 1-D.
 * FlatSplit (flat; shapes): the reverse, one tensor a shape. The fused Adam flattens its
 * gradients with the first (and its variables, where their flat values from the last step are
 * stale) and hands the variables their new values with the second. A shader copies at most (storage buffers a shader may bind − 1) tensors, so ResNet50's
 * 214 variables take 15 shaders each way over lavapipe (16 buffers; 31 with WebGPU's default 8),
 * instead of a kernel a variable.
 *
 * AdamFlat (gradient, m, v, variables: flat tensors of one size; biasCorrections: [1 − β1^t,
 * 1 − β2^t]; Adam's constants): [m', v', variables'], tfjs's Adam arithmetic for every value in one
 * shader (8 storage buffers, WebGPU's default limit), where the same ops on the flat tensors ran
 * 14 kernels, each a pass over all 23.6M values of ResNet50's.
 *
 * ReluGrad (dy, x): dy·step(x), the gradient tfjs's Relu registers (multiply, cast, step: three
 * kernels) in one; NaN in x gives NaN, as step does.
 *
 * AddRelu (a, b): relu(a + b) for a and b of one shape, a residual addition and the ReLU after it
 * (src/accel/training/fused-relu.ts) in one shader.
 *
 * Batch normalization in training mode (fused-batch-norm.ts), channels last, values seen as
 * [rows, channels]: 2 kernels and 2 shaders a layer instead of 28 kernels (ResNet50 has 53 such
 * layers).
 * - BatchNormTraining (x, gamma, beta, movingMean, movingVariance; epsilon, decay, relu):
 *   [γ·(x − mean)/√(variance + ε) + β (through a ReLU with relu), moments, movingMean',
 *   movingVariance'], with moments [2, channels], each channel's mean and variance (two passes
 *   over its values), and each moving statistic s updated to s − (s − its batch moment)·decay, as
 *   tfjs-layers updates them.
 * - NormalizeGrad (dy, x, moments, gamma, [y]; epsilon): [dx, dγ, dβ], with
 *   dγ = Σ dy·(x − mean)/√(variance + ε), dβ = Σ dy and dx as fused-batch-norm.ts says. Given y,
 *   the output of a BatchNormTraining with relu, dy goes through the ReLU first (dy·step(y), as
 *   ReluGrad).
 * A channel's sums are taken by one workgroup of 256 invocations, each over every 256th row, then
 * added pairwise; the same workgroup then makes the channel's normalized values (forward) or dx
 * (backward) from the sums it holds, one shader each way. With ONE_SHADER_BATCH_NORM_FLAG false, or
 * an adapter with fewer storage buffers a shader than that takes, the sums' shader is followed by
 * an elementwise one instead (coalesced reads, a dispatch more).
 */
import type * as tfType from '@tensorflow/tfjs';
import { type WebGPUProgram, type WebGPUBackend, type WebgpuUtil, elementwiseProgram, type Uniforms, run, runWritingOutputs, disposedOnFailure, sizeOf, checkFloat32, checkSameShape } from './program.js';
import { FLAT_CONCAT, FLAT_SPLIT, ADAM_FLAT, RELU_GRAD, ADD_RELU, BATCH_NORM_TRAINING, NORMALIZE_GRAD } from '../kernel-names.js';
import { perChannelProgram, MOMENTS_CODE, reluOf, reluStep, writeNormalized, normalizeInOneCode, writeDx, normalizeGradInOneCode, gradStatsCode, channelsOf, checkChannels } from './per-channel-sums.js';

type Tf = typeof tfType;


/**
 * AdamFlat's attributes: tfjs's Adam constants, its shader's uniforms. The bias corrections, which
 * change every step, come as a tensor instead: as uniforms each step's would take a buffer of the
 * uniform cache (uniform-cache.ts) never used again.
 */
export interface AdamFlatAttrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
}

/**
 * A tfjs environment flag: set false, a batch normalization runs two shaders each way (the
 * per-channel sums, then an elementwise pass) instead of one (the GPU device script compares).
 */
export const ONE_SHADER_BATCH_NORM_FLAG = 'LABGRADE_WEBGPU_ONE_SHADER_BATCH_NORM';


/**
 * A flat layout of tensors of `sizes` split between shaders of at most `perShader` tensors (empty
 * ones left out): each chunk's tensors (indices into sizes), where its first value lies in the
 * flat tensor (base), and where each of its tensors ends counted from there.
 */
function flatChunks(sizes: number[], perShader: number): { parts: number[]; base: number; ends: number[] }[] {
  const filled = sizes.flatMap((size, i) => (size > 0 ? [i] : []));
  const chunks: { parts: number[]; base: number; ends: number[] }[] = [];
  let base = 0;
  for (let first = 0; first < filled.length; first += perShader) {
    const parts = filled.slice(first, first + perShader);
    let end = 0;
    const ends = parts.map((i) => (end += sizes[i]));
    chunks.push({ parts, base, ends });
    base += end;
  }
  return chunks;
}

/**
 * A program over one chunk of a flat layout (flatChunks): `copy(k, local)` moves the value at
 * `index` of the chunk, which is value `local` of its k-th tensor.
 */
function flatChunkProgram(util: WebgpuUtil, key: string, chunk: { base: number; ends: number[] }, variableNames: string[], copy: (k: number, local: string) => string): { program: WebGPUProgram; uniforms: Uniforms } {
  const { ends } = chunk;
  const copies = ends.map((_, k) => `${k ? 'else ' : ''}if (index < uniforms.end${k}) { ${copy(k, k ? `index - uniforms.end${k - 1}` : 'index')} }`).join('\n          ');
  return {
    program: elementwiseProgram(util, `${key}_${ends.length}`, [ends[ends.length - 1]], variableNames, ['base : i32,', ...ends.map((_, k) => `end${k} : i32,`)].join(' '), copies),
    uniforms: [chunk.base, ...ends].map((value) => ({ type: 'int32' as const, data: [value] })),
  };
}

let registered = false;

/** Registers the kernels for the webgpu backend, once per process, with tfjs-backend-webgpu's helpers. */
export function registerWebgpuTrainingKernels(tf: Tf, util: WebgpuUtil): void {
  if (registered) return;
  tf.registerKernel({
    kernelName: FLAT_CONCAT,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend }) => {
      const gpu = backend as unknown as WebGPUBackend;
      const parts = Object.values(inputs as Record<string, tfType.TensorInfo>);
      checkFloat32(FLAT_CONCAT, inputs as Record<string, tfType.TensorInfo>);
      const sizes = parts.map(sizeOf);
      const total = sizes.reduce((a, b) => a + b, 0);
      // With no values at all no shader runs: the empty output gets its (empty) values here.
      const output = gpu.makeTensorInfo([total], 'float32', total === 0 ? new Float32Array(0) : undefined);
      return disposedOnFailure(gpu, [output], () => {
        for (const chunk of flatChunks(sizes, gpu.device.limits.maxStorageBuffersPerShaderStage - 1)) {
          const names = chunk.parts.map((_, k) => `T${k}`);
          const { program, uniforms } = flatChunkProgram(util, 'labgrade_flat_concat', chunk, names, (k, local) => `result[uniforms.base + index] = ${names[k]}[${local}];`);
          gpu.runWebGPUProgram(program, chunk.parts.map((i) => parts[i]), 'float32', uniforms, output);
        }
        return output;
      });
    },
  });
  tf.registerKernel({
    kernelName: FLAT_SPLIT,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const gpu = backend as unknown as WebGPUBackend;
      const { flat } = inputs as { flat: tfType.TensorInfo };
      const shapes = (attrs as unknown as { shapes: number[][] }).shapes;
      checkFloat32(FLAT_SPLIT, { flat });
      const sizes = shapes.map((shape) => sizeOf({ shape }));
      if (flat.shape.length !== 1 || sizes.reduce((a, b) => a + b, 0) !== flat.shape[0]) {
        throw new Error(`${FLAT_SPLIT}: shapes of ${sizes.reduce((a, b) => a + b, 0)} values in all do not split a flat tensor of shape [${flat.shape}]`);
      }
      const outputs = shapes.map((shape, i) => gpu.makeTensorInfo(shape, 'float32', sizes[i] === 0 ? new Float32Array(0) : undefined));
      // A failing chunk's runWritingOutputs disposes its own outputs; this, the earlier chunks'.
      return disposedOnFailure(gpu, outputs, () => {
        for (const chunk of flatChunks(sizes, gpu.device.limits.maxStorageBuffersPerShaderStage - 1)) {
          const names = chunk.parts.map((_, k) => (k ? `Out${k}` : 'result'));
          const { program, uniforms } = flatChunkProgram(util, 'labgrade_flat_split', chunk, ['Flat', ...names.slice(1)], (k, local) => `${names[k]}[${local}] = Flat[uniforms.base + index];`);
          runWritingOutputs(backend, program, [flat], chunk.parts.map((i) => outputs[i]), uniforms);
        }
        return outputs;
      });
    },
  });
  tf.registerKernel({
    kernelName: ADAM_FLAT,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const gpu = backend as unknown as WebGPUBackend;
      const { gradient, m, v, variables, biasCorrections } = inputs as Record<'gradient' | 'm' | 'v' | 'variables' | 'biasCorrections', tfType.TensorInfo>;
      checkFloat32(ADAM_FLAT, { gradient, m, v, variables, biasCorrections });
      for (const [name, t] of Object.entries({ m, v, variables })) {
        if (t.shape.length !== 1 || t.shape[0] !== gradient.shape[0] || gradient.shape.length !== 1) throw new Error(`${ADAM_FLAT}: gradient has shape [${gradient.shape}], ${name} [${t.shape}]; all must be the same flat shape`);
      }
      if (biasCorrections.shape.join() !== '2') throw new Error(`${ADAM_FLAT}: biasCorrections must have shape [2] (1 − β1^t, 1 − β2^t), got [${biasCorrections.shape}]`);
      const a = attrs as unknown as AdamFlatAttrs;
      const outputs = [0, 1, 2].map(() => gpu.makeTensorInfo(gradient.shape, 'float32', sizeOf(gradient) === 0 ? new Float32Array(0) : undefined));
      if (sizeOf(gradient) === 0) return outputs;
      // tfjs's order of operations, each constant a float32 as tfjs's scalars are:
      // m' = m·β1 + g·(1 − β1); v' = v·β2 + g²·(1 − β2);
      // w' = (m' / (1 − β1^t)) / (√(v' / (1 − β2^t)) + ε) · (−lr) + w.
      const constants = { beta1: a.beta1, oneMinusBeta1: 1 - a.beta1, beta2: a.beta2, oneMinusBeta2: 1 - a.beta2, epsilon: a.epsilon, negLearningRate: -a.learningRate };
      const program = elementwiseProgram(util, 'labgrade_adam_flat', gradient.shape, ['G', 'M', 'V', 'W', 'BiasCorrections', 'V2', 'W2'], Object.keys(constants).map((name) => `${name} : f32,`).join(' '), `let g = G[index];
          let m = M[index] * uniforms.beta1 + g * uniforms.oneMinusBeta1;
          let v = V[index] * uniforms.beta2 + (g * g) * uniforms.oneMinusBeta2;
          setOutputAtIndex(index, m);
          V2[index] = v;
          W2[index] = ((m / BiasCorrections[0]) / (sqrt(v / BiasCorrections[1]) + uniforms.epsilon)) * uniforms.negLearningRate + W[index];`);
      const uniforms = Object.values(constants).map((value) => ({ type: 'float32' as const, data: [value] }));
      return runWritingOutputs(backend, program, [gradient, m, v, variables, biasCorrections], outputs, uniforms);
    },
  });
  /** A kernel of two float32 inputs of one shape, an invocation a value: `body` reads them as `variableNames` and sets the output at `index`. */
  const registerPairwise = (kernelName: string, [first, second]: [string, string], key: string, variableNames: [string, string], body: string) =>
    tf.registerKernel({
      kernelName,
      backendName: 'webgpu',
      kernelFunc: ({ inputs, backend }) => {
        const named = inputs as Record<string, tfType.TensorInfo>;
        const [a, b] = [named[first], named[second]];
        checkFloat32(kernelName, { [first]: a, [second]: b });
        if (a.shape.join() !== b.shape.join()) throw new Error(`${kernelName}: ${first} has shape [${a.shape}], ${second} [${b.shape}]`);
        return run(backend, elementwiseProgram(util, key, a.shape, variableNames, '', body), [a, b]);
      },
    });
  registerPairwise(RELU_GRAD, ['dy', 'x'], 'labgrade_relu_grad', ['Dy', 'X'], `let x = X[index];
          setOutputAtIndex(index, Dy[index] * ${reluStep('x')});`);
  registerPairwise(ADD_RELU, ['a', 'b'], 'labgrade_add_relu', ['A', 'B'], `let sum = A[index] + B[index];
          setOutputAtIndex(index, ${reluOf('sum')});`);
  tf.env().registerFlag(ONE_SHADER_BATCH_NORM_FLAG, () => true);
  /** Whether the batch normalization's sums and its elementwise pass share one shader, binding `variableNames` and `result`. */
  const oneShader = (gpu: WebGPUBackend, variableNames: string[]) => tf.env().getBool(ONE_SHADER_BATCH_NORM_FLAG) && gpu.device.limits.maxStorageBuffersPerShaderStage >= variableNames.length + 1;
  tf.registerKernel({
    kernelName: BATCH_NORM_TRAINING,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const gpu = backend as unknown as WebGPUBackend;
      const { x, gamma, beta, movingMean, movingVariance } = inputs as Record<'x' | 'gamma' | 'beta' | 'movingMean' | 'movingVariance', tfType.TensorInfo>;
      checkFloat32(BATCH_NORM_TRAINING, { x, gamma, beta, movingMean, movingVariance });
      checkChannels(BATCH_NORM_TRAINING, x, { gamma, beta, movingMean, movingVariance });
      const { epsilon, decay, relu } = attrs as { epsilon: number; decay: number; relu: boolean };
      const { channels } = channelsOf(x);
      const statistics = () => [gpu.makeTensorInfo([2, channels], 'float32'), gpu.makeTensorInfo([channels], 'float32'), gpu.makeTensorInfo([channels], 'float32')];
      const oneShaderNames = ['X', 'Gamma', 'Beta', 'MovingMean', 'MovingVariance', 'Moments', 'NewMean', 'NewVariance'];
      if (oneShader(gpu, oneShaderNames)) {
        const { program, uniforms } = perChannelProgram(relu ? 'labgrade_batch_norm_relu' : 'labgrade_batch_norm', normalizeInOneCode(relu), oneShaderNames, x, x.shape);
        program.uniforms += ' decay : f32, epsilon : f32,';
        return runWritingOutputs(backend, program, [x, gamma, beta, movingMean, movingVariance], [gpu.makeTensorInfo(x.shape, 'float32'), ...statistics()], [
          ...uniforms,
          { type: 'float32', data: [decay] },
          { type: 'float32', data: [epsilon] },
        ]);
      }
      const moments = perChannelProgram('labgrade_moments', MOMENTS_CODE, ['X', 'MovingMean', 'MovingVariance', 'NewMean', 'NewVariance'], x, [2, channels]);
      moments.program.uniforms += ' decay : f32,';
      const [batchMoments, newMean, newVariance] = runWritingOutputs(backend, moments.program, [x, movingMean, movingVariance], statistics(), [...moments.uniforms, { type: 'float32', data: [decay] }]);
      const normalize = elementwiseProgram(
        util,
        relu ? 'labgrade_normalize_relu' : 'labgrade_normalize',
        x.shape,
        ['X', 'Moments', 'Gamma', 'Beta'],
        'channels : i32, epsilon : f32,',
        `let c = index % uniforms.channels;
          let inv = Gamma[c] * inverseSqrt(Moments[uniforms.channels + c] + uniforms.epsilon);
          ${writeNormalized('index', 'Moments[c]', 'Beta[c]', relu)}`,
      );
      const normed = disposedOnFailure(gpu, [batchMoments, newMean, newVariance], () => run(backend, normalize, [x, batchMoments, gamma, beta], [{ type: 'int32', data: [channels] }, { type: 'float32', data: [epsilon] }]));
      return [normed, batchMoments, newMean, newVariance];
    },
  });
  tf.registerKernel({
    kernelName: NORMALIZE_GRAD,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const gpu = backend as unknown as WebGPUBackend;
      const { dy, x, moments, gamma, y } = inputs as Record<'dy' | 'x' | 'moments' | 'gamma', tfType.TensorInfo> & { y?: tfType.TensorInfo };
      checkFloat32(NORMALIZE_GRAD, { dy, x, moments, gamma, ...(y && { y }) });
      checkSameShape(NORMALIZE_GRAD, dy, x);
      if (y) checkSameShape(NORMALIZE_GRAD, dy, y);
      checkChannels(NORMALIZE_GRAD, x, { gamma });
      const { channels, rows } = channelsOf(x);
      const relu = y !== undefined;
      const through = relu ? ['Y'] : [];
      const yInput = y ? [y] : [];
      const { epsilon } = attrs as { epsilon: number };
      const negInvCount = { type: 'float32' as const, data: [-1 / rows] };
      const perChannel = () => [gpu.makeTensorInfo([channels], 'float32'), gpu.makeTensorInfo([channels], 'float32')];
      const oneShaderNames = ['Dy', 'X', 'Moments', 'Gamma', ...through, 'DGamma', 'DBeta'];
      if (oneShader(gpu, oneShaderNames)) {
        const { program, uniforms } = perChannelProgram(`labgrade_normalize_grad${relu ? '_relu' : ''}`, normalizeGradInOneCode(relu), oneShaderNames, x, x.shape);
        program.uniforms += ' epsilon : f32, negInvCount : f32,';
        return runWritingOutputs(backend, program, [dy, x, moments, gamma, ...yInput], [gpu.makeTensorInfo(x.shape, 'float32'), ...perChannel()], [...uniforms, { type: 'float32', data: [epsilon] }, negInvCount]);
      }
      const stats = perChannelProgram(`labgrade_normalize_grad_stats${relu ? '_relu' : ''}`, gradStatsCode(relu), ['Dy', 'X', 'Moments', ...through, 'DBeta'], x, [channels]);
      stats.program.uniforms += ' epsilon : f32,';
      const [dGamma, dBeta] = runWritingOutputs(backend, stats.program, [dy, x, moments, ...yInput], perChannel(), [...stats.uniforms, { type: 'float32', data: [epsilon] }]);
      const program = elementwiseProgram(
        util,
        `labgrade_normalize_grad_input${relu ? '_relu' : ''}`,
        x.shape,
        ['Dy', 'X', 'Moments', 'DGamma', 'DBeta', 'Gamma', ...through],
        'channels : i32, epsilon : f32, negInvCount : f32,',
        `let c = index % uniforms.channels;
          let invStd = inverseSqrt(Moments[uniforms.channels + c] + uniforms.epsilon);
          ${writeDx('index', 'Moments[c]', 'c', 'DGamma[c]', 'DBeta[c]', relu)}`,
      );
      const dx = disposedOnFailure(gpu, [dGamma, dBeta], () => run(backend, program, [dy, x, moments, dGamma, dBeta, gamma, ...yInput], [{ type: 'int32', data: [channels] }, { type: 'float32', data: [epsilon] }, negInvCount]));
      return [dx, dGamma, dBeta];
    },
  });
  registered = true;
}
