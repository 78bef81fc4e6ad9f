/**
 * Kernels labgrade's WebGPU training calls in place of chains of tfjs ops. On WebGPU a ResNet50
 * step's time went to tfjs dispatching kernels (0.15–0.35 ms each on an H100: 189 ms of GPU work
 * in an 810 ms step with 4,262 kernels; docs/bench/gpu.md), so the fewer kernels, the faster; each
 * kernel here does the arithmetic of the ops it replaces. Their GPU time on an H100 is still to be
 * measured (the device script reports it per kernel).
 *
 * AddFlatSlice (x, flat; offset): x + flat[offset .. offset + size(x)), shaped as x. The fused
 * Adam adds each variable's part of its one flat step with it: one kernel a variable instead of
 * slice, reshape and add (ResNet50: 214 variables).
 *
 * FlatConcat (any number of tensors, any shapes): their values one after another, 1-D. The fused
 * Adam flattens its gradients with it: one kernel instead of a reshape each and a concat. As in
 * tfjs's own Concat, a shader copies at most (storage buffers a shader may bind − 1) inputs, so
 * ResNet50's 214 gradients take 31 shaders, all writing into the one output.
 *
 * ReluGrad (dy, x): dy·step(x), the gradient tfjs's Relu registers (multiply, cast, step: three
 * kernels) in one; NaN in x gives NaN, as step does.
 *
 * Batch normalization in training mode (fused-batch-norm.ts), channels last, values seen as
 * [rows, channels]: 9 kernels a layer instead of 28 (ResNet50 has 53 such layers: 1,007 fewer).
 * - Moments (x): [2, channels], each channel's mean and variance (two passes over its values).
 * - Normalize (x, moments, gamma, beta; epsilon): γ·(x − mean)/√(variance + ε) + β.
 * - MovingAverage (moving, moments; row, decay): moving − (moving − moments[row])·decay, as
 *   tfjs-layers updates its moving mean and variance.
 * - NormalizeGradStats (dy, x, moments): [2, channels], Σ dy and Σ dy·(x − mean).
 * - NormalizeGradInput (dy, x, moments, gradStats, gamma; epsilon): dx (see fused-batch-norm.ts).
 * - NormalizeGradParam (moments, gradStats; epsilon, param): dγ = Σ dy·(x − mean)/√(variance + ε)
 *   or dβ = Σ dy.
 * A channel's sums are taken by one workgroup of 256 invocations, each over every 256th row, then
 * added pairwise.
 */
import type * as tfType from '@tensorflow/tfjs';

type Tf = typeof tfType;

export const ADD_FLAT_SLICE = 'LabgradeAddFlatSlice';
export const FLAT_CONCAT = 'LabgradeFlatConcat';
export const RELU_GRAD = 'LabgradeReluGrad';
export const MOMENTS = 'LabgradeMoments';
export const NORMALIZE = 'LabgradeNormalize';
export const MOVING_AVERAGE = 'LabgradeMovingAverage';
export const NORMALIZE_GRAD_STATS = 'LabgradeNormalizeGradStats';
export const NORMALIZE_GRAD_INPUT = 'LabgradeNormalizeGradInput';
export const NORMALIZE_GRAD_PARAM = 'LabgradeNormalizeGradParam';

/** The parts of tfjs-backend-webgpu's program interface these kernels use (webgpu_program.ts). */
interface WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  workgroupSize: [number, number, number];
  size?: boolean;
  uniforms?: string;
  getUserCode(): string;
}

interface WebGPUBackend {
  runWebGPUProgram(
    program: WebGPUProgram,
    inputs: tfType.TensorInfo[],
    outputDtype: tfType.DataType,
    programUniforms?: { type: 'int32' | 'float32'; data: number[] }[],
    output?: tfType.TensorInfo,
  ): tfType.TensorInfo;
  makeTensorInfo(shape: number[], dtype: tfType.DataType): tfType.TensorInfo;
  device: { limits: { maxStorageBuffersPerShaderStage: number } };
}

/** What registration needs from @tensorflow/tfjs-backend-webgpu (the caller has loaded it). */
export interface WebgpuPackage {
  webgpu_util: WebgpuUtil;
}

interface WebgpuUtil {
  flatDispatchLayout(shape: number[]): { x: number[] };
  computeDispatch(layout: { x: number[] }, outputShape: number[], workgroupSize: [number, number, number]): [number, number, number];
}

const FLAT_WORKGROUP: [number, number, number] = [128, 1, 1];

/** One output value per invocation, in order; `body` sets the value at `index` (after the bounds check). */
function elementwiseProgram(util: WebgpuUtil, key: string, outputShape: number[], variableNames: string[], uniforms: string, body: string): WebGPUProgram {
  const dispatchLayout = util.flatDispatchLayout(outputShape);
  return {
    outputShape,
    shaderKey: key,
    dispatchLayout,
    dispatch: util.computeDispatch(dispatchLayout, outputShape, FLAT_WORKGROUP),
    variableNames,
    workgroupSize: FLAT_WORKGROUP,
    size: true,
    uniforms,
    // tfjs-backend-webgpu supplies main(), setOutputAtIndex and the uniforms struct.
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`,
  };
}

/** Invocations a workgroup in the per-channel sums. */
const REDUCE_WORKGROUP = 256;

/**
 * WGSL: sumOver(lane, value) adds `value` across the workgroup (pairwise, in workgroup memory) and
 * returns the total to every invocation. It holds barriers: call it in uniform control flow.
 */
const SUM_OVER_WORKGROUP = `
      var<workgroup> partial : array<f32, ${REDUCE_WORKGROUP}>;
      fn sumOver(lane : i32, value : f32) -> f32 {
        partial[lane] = value;
        workgroupBarrier();
        var half = ${REDUCE_WORKGROUP / 2};
        loop {
          if (half == 0) { break; }
          if (lane < half) { partial[lane] = partial[lane] + partial[lane + half]; }
          workgroupBarrier();
          half = half / 2;
        }
        let total = partial[0];
        workgroupBarrier();
        return total;
      }`;

/** One workgroup a channel: `body` runs with lane, channel and channels defined, and loops over its rows itself. */
function perChannelCode(body: string): string {
  return `${SUM_OVER_WORKGROUP}
      fn main(index : i32) {
        let lane = i32(localId.x);
        let channel = index / ${REDUCE_WORKGROUP};
        let channels = uniforms.channels;
        ${body}
      }`;
}

/** A WGSL loop over the channel's rows, one in 256 for each invocation, with `i` the value's index. */
const forEachRow = (statements: string) => `for (var row = lane; row < uniforms.rows; row = row + ${REDUCE_WORKGROUP}) {
          let i = row * channels + channel;
          ${statements}
        }`;

type Uniforms = { type: 'int32' | 'float32'; data: number[] }[];

/** Runs `program` on the backend a kernel was given, with a float32 output. */
function run(backend: unknown, program: WebGPUProgram, inputs: tfType.TensorInfo[], uniforms: Uniforms = []): tfType.TensorInfo {
  return (backend as WebGPUBackend).runWebGPUProgram(program, inputs, 'float32', uniforms);
}

/**
 * Runs per-channel sums (`userCode`, from perChannelCode) with one workgroup for each channel of
 * `x` seen as [rows, channels]; the output is [2, channels].
 */
function runPerChannel(backend: unknown, key: string, userCode: string, variableNames: string[], inputs: tfType.TensorInfo[], x: tfType.TensorInfo): tfType.TensorInfo {
  const { channels, rows } = channelsOf(x);
  const program: WebGPUProgram = {
    outputShape: [2, channels],
    shaderKey: key,
    dispatchLayout: { x: [0, 1] },
    dispatch: [channels, 1, 1],
    variableNames,
    workgroupSize: [REDUCE_WORKGROUP, 1, 1],
    uniforms: 'channels : i32, rows : i32,',
    getUserCode: () => userCode,
  };
  return run(backend, program, inputs, [{ type: 'int32', data: [channels] }, { type: 'int32', data: [rows] }]);
}

/** Moments: the mean first, then the mean of squared deviations from it (two passes). */
const MOMENTS_CODE = perChannelCode(`
        var sum = 0.0;
        ${forEachRow('sum = sum + X[i];')}
        let mean = sumOver(lane, sum) / f32(uniforms.rows);
        var squares = 0.0;
        ${forEachRow('let d = X[i] - mean; squares = squares + d * d;')}
        let variance = sumOver(lane, squares) / f32(uniforms.rows);
        if (lane == 0) {
          setOutputAtIndex(channel, mean);
          setOutputAtIndex(channels + channel, variance);
        }`);

const GRAD_STATS_CODE = perChannelCode(`
        let mean = Moments[channel];
        var sumDy = 0.0;
        var sumDyCentred = 0.0;
        ${forEachRow('sumDy = sumDy + Dy[i]; sumDyCentred = sumDyCentred + Dy[i] * (X[i] - mean);')}
        let totalDy = sumOver(lane, sumDy);
        let totalDyCentred = sumOver(lane, sumDyCentred);
        if (lane == 0) {
          setOutputAtIndex(channel, totalDy);
          setOutputAtIndex(channels + channel, totalDyCentred);
        }`);

function channelsOf(t: tfType.TensorInfo): { channels: number; rows: number } {
  const channels = t.shape[t.shape.length - 1];
  return { channels, rows: sizeOf(t) / channels };
}

function sizeOf(t: tfType.TensorInfo): number {
  return t.shape.reduce((a, b) => a * b, 1);
}

function checkFloat32(name: string, inputs: Record<string, tfType.TensorInfo>): void {
  for (const [input, t] of Object.entries(inputs)) {
    if (t.dtype !== 'float32') throw new Error(`${name}: ${input} must be float32, not ${t.dtype}`);
  }
}

/** Gradient kernels read dy and x at the same index. */
function checkSameShape(name: string, dy: tfType.TensorInfo, x: tfType.TensorInfo): void {
  if (dy.shape.join() !== x.shape.join()) throw new Error(`${name}: dy has shape [${dy.shape}], x [${x.shape}]`);
}

let registered = false;

/** Whether the backend in use has labgrade's kernel `name` (registered for WebGPU only). */
export function hasKernel(tf: Tf, name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) != null;
}

/** Registers the kernels for the webgpu backend, once per process, with tfjs-backend-webgpu's helpers. */
export function registerWebgpuTrainingKernels(tf: Tf, util: WebgpuUtil): void {
  if (registered) return;
  tf.registerKernel({
    kernelName: ADD_FLAT_SLICE,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, flat } = inputs as { x: tfType.TensorInfo; flat: tfType.TensorInfo };
      const offset = (attrs as { offset: number }).offset;
      const size = sizeOf(x);
      if (x.dtype !== 'float32' || flat.dtype !== 'float32' || !Number.isInteger(offset) || offset < 0 || offset + size > sizeOf(flat)) {
        throw new Error(`${ADD_FLAT_SLICE}: ${size} float32 values from offset ${offset} do not fit in the flat input`);
      }
      const program = elementwiseProgram(util, 'labgrade_add_flat_slice', x.shape, ['X', 'Flat'], 'offset : i32,', 'setOutputAtIndex(index, X[index] + Flat[index + uniforms.offset]);');
      return run(backend, program, [x, flat], [{ type: 'int32', data: [offset] }]);
    },
  });
  tf.registerKernel({
    kernelName: FLAT_CONCAT,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend }) => {
      const gpu = backend as unknown as WebGPUBackend;
      const parts = Object.values(inputs as Record<string, tfType.TensorInfo>);
      checkFloat32(FLAT_CONCAT, inputs as Record<string, tfType.TensorInfo>);
      const sizes = parts.map(sizeOf);
      const output = gpu.makeTensorInfo([sizes.reduce((a, b) => a + b, 0)], 'float32');
      const perShader = gpu.device.limits.maxStorageBuffersPerShaderStage - 1;
      let base = 0;
      for (let first = 0; first < parts.length; first += perShader) {
        const chunk = parts.slice(first, first + perShader);
        // ends[k]: where input k's values end, counted from this shader's first output value.
        const ends = sizes.slice(first, first + perShader).map((_, k, own) => own.slice(0, k + 1).reduce((a, b) => a + b, 0));
        const names = chunk.map((_, k) => `T${k}`);
        const copies = names.map((name, k) => `${k ? 'else ' : ''}if (index < uniforms.end${k}) { result[uniforms.base + index] = ${name}[index${k ? ` - uniforms.end${k - 1}` : ''}]; }`).join('\n          ');
        const program = elementwiseProgram(util, `labgrade_flat_concat_${chunk.length}`, [ends[ends.length - 1]], names, ['base : i32,', ...names.map((_, k) => `end${k} : i32,`)].join(' '), copies);
        gpu.runWebGPUProgram(program, chunk, 'float32', [{ type: 'int32', data: [base] }, ...ends.map((end) => ({ type: 'int32' as const, data: [end] }))], output);
        base += ends[ends.length - 1];
      }
      return output;
    },
  });
  tf.registerKernel({
    kernelName: RELU_GRAD,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend }) => {
      const { dy, x } = inputs as Record<'dy' | 'x', tfType.TensorInfo>;
      checkFloat32(RELU_GRAD, { dy, x });
      checkSameShape(RELU_GRAD, dy, x);
      const program = elementwiseProgram(
        util,
        'labgrade_relu_grad',
        x.shape,
        ['Dy', 'X'],
        '',
        `let x = X[index];
          setOutputAtIndex(index, Dy[index] * select(select(0.0, 1.0, x > 0.0), x, isnan(x)));`,
      );
      return run(backend, program, [dy, x]);
    },
  });
  tf.registerKernel({
    kernelName: MOMENTS,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend }) => {
      const { x } = inputs as { x: tfType.TensorInfo };
      checkFloat32(MOMENTS, { x });
      return runPerChannel(backend, 'labgrade_moments', MOMENTS_CODE, ['X'], [x], x);
    },
  });
  tf.registerKernel({
    kernelName: NORMALIZE,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, moments, gamma, beta } = inputs as Record<'x' | 'moments' | 'gamma' | 'beta', tfType.TensorInfo>;
      checkFloat32(NORMALIZE, { x, moments, gamma, beta });
      const { channels } = channelsOf(x);
      const program = elementwiseProgram(
        util,
        'labgrade_normalize',
        x.shape,
        ['X', 'Moments', 'Gamma', 'Beta'],
        'channels : i32, epsilon : f32,',
        `let c = index % uniforms.channels;
          let inv = Gamma[c] * inverseSqrt(Moments[uniforms.channels + c] + uniforms.epsilon);
          setOutputAtIndex(index, (X[index] - Moments[c]) * inv + Beta[c]);`,
      );
      return run(backend, program, [x, moments, gamma, beta], [{ type: 'int32', data: [channels] }, { type: 'float32', data: [(attrs as { epsilon: number }).epsilon] }]);
    },
  });
  tf.registerKernel({
    kernelName: MOVING_AVERAGE,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { moving, moments } = inputs as Record<'moving' | 'moments', tfType.TensorInfo>;
      checkFloat32(MOVING_AVERAGE, { moving, moments });
      const { row, decay } = attrs as { row: number; decay: number };
      const program = elementwiseProgram(
        util,
        'labgrade_moving_average',
        moving.shape,
        ['Moving', 'Moments'],
        'row : i32, decay : f32,',
        `let previous = Moving[index];
          setOutputAtIndex(index, previous - (previous - Moments[uniforms.row * uniforms.size + index]) * uniforms.decay);`,
      );
      return run(backend, program, [moving, moments], [{ type: 'int32', data: [row] }, { type: 'float32', data: [decay] }]);
    },
  });
  tf.registerKernel({
    kernelName: NORMALIZE_GRAD_STATS,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend }) => {
      const { dy, x, moments } = inputs as Record<'dy' | 'x' | 'moments', tfType.TensorInfo>;
      checkFloat32(NORMALIZE_GRAD_STATS, { dy, x, moments });
      checkSameShape(NORMALIZE_GRAD_STATS, dy, x);
      return runPerChannel(backend, 'labgrade_normalize_grad_stats', GRAD_STATS_CODE, ['Dy', 'X', 'Moments'], [dy, x, moments], x);
    },
  });
  tf.registerKernel({
    kernelName: NORMALIZE_GRAD_INPUT,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { dy, x, moments, gradStats, gamma } = inputs as Record<'dy' | 'x' | 'moments' | 'gradStats' | 'gamma', tfType.TensorInfo>;
      checkFloat32(NORMALIZE_GRAD_INPUT, { dy, x, moments, gradStats, gamma });
      checkSameShape(NORMALIZE_GRAD_INPUT, dy, x);
      const { channels, rows } = channelsOf(x);
      const program = elementwiseProgram(
        util,
        'labgrade_normalize_grad_input',
        x.shape,
        ['Dy', 'X', 'Moments', 'GradStats', 'Gamma'],
        'channels : i32, epsilon : f32, negInvCount : f32,',
        `let c = index % uniforms.channels;
          let invStd = inverseSqrt(Moments[uniforms.channels + c] + uniforms.epsilon);
          let k = Gamma[c] * invStd;
          let dGamma = GradStats[uniforms.channels + c] * invStd;
          let xHatCoefficient = k * dGamma * uniforms.negInvCount;
          let constant = k * GradStats[c] * uniforms.negInvCount;
          setOutputAtIndex(index, Dy[index] * k + ((X[index] - Moments[c]) * (xHatCoefficient * invStd) + constant));`,
      );
      const { epsilon } = attrs as { epsilon: number };
      return run(backend, program, [dy, x, moments, gradStats, gamma], [{ type: 'int32', data: [channels] }, { type: 'float32', data: [epsilon] }, { type: 'float32', data: [-1 / rows] }]);
    },
  });
  tf.registerKernel({
    kernelName: NORMALIZE_GRAD_PARAM,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { moments, gradStats } = inputs as Record<'moments' | 'gradStats', tfType.TensorInfo>;
      checkFloat32(NORMALIZE_GRAD_PARAM, { moments, gradStats });
      const { epsilon, param } = attrs as { epsilon: number; param: 'gamma' | 'beta' };
      const channels = moments.shape[1];
      // An input a shader does not read drops out of its bind group layout: dβ takes gradStats alone.
      if (param === 'beta') {
        return run(backend, elementwiseProgram(util, 'labgrade_normalize_grad_beta', [channels], ['GradStats'], '', 'setOutputAtIndex(index, GradStats[index]);'), [gradStats]);
      }
      const program = elementwiseProgram(
        util,
        'labgrade_normalize_grad_gamma',
        [channels],
        ['Moments', 'GradStats'],
        'epsilon : f32,',
        'setOutputAtIndex(index, GradStats[uniforms.size + index] * inverseSqrt(Moments[uniforms.size + index] + uniforms.epsilon));',
      );
      return run(backend, program, [moments, gradStats], [{ type: 'float32', data: [epsilon] }]);
    },
  });
  registered = true;
}
