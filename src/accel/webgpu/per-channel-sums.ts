/**
 * Per-channel sums in one shader: one workgroup of 256 invocations a channel of a tensor seen as
 * [rows, channels], each over every 256th row, then added pairwise. The batch normalization's
 * kernels are built from them, and so is leadingAxesSum, which labgrade swaps in for Sum while it
 * trains (src/accel/training/webgpu-kernel-swaps.ts): a sum over every axis but the last (a bias
 * gradient) in one shader, where tfjs's Sum runs a transpose first.
 */
import type * as tfType from '@tensorflow/tfjs';
import { type WebGPUProgram, type Uniforms, run, sizeOf } from './program.js';
import { overLeadingAxes } from '../leading-axes.js';

type Tf = typeof tfType;

/** WebGPU's guaranteed maxComputeWorkgroupsPerDimension: the per-channel sums take one workgroup a channel. */
export const PER_CHANNEL_MAX_CHANNELS = 65535;

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

/** Per-channel sums (`userCode`, from perChannelCode) of `x` seen as [rows, channels]: one workgroup a channel. */
export function perChannelProgram(key: string, userCode: string, variableNames: string[], x: tfType.TensorInfo, outputShape: number[]): { program: WebGPUProgram; uniforms: Uniforms } {
  const { channels, rows } = channelsOf(x);
  // Past this tfjs would fold the dispatch into two dimensions, with workgroups beyond the last channel.
  if (channels > PER_CHANNEL_MAX_CHANNELS) throw new Error(`${key}: ${channels} channels, more than the ${PER_CHANNEL_MAX_CHANNELS} workgroups one dispatch dimension takes`);
  return {
    program: {
      outputShape,
      shaderKey: key,
      dispatchLayout: { x: [0, 1] },
      dispatch: [channels, 1, 1],
      variableNames,
      workgroupSize: [REDUCE_WORKGROUP, 1, 1],
      uniforms: 'channels : i32, rows : i32,',
      getUserCode: () => userCode,
    },
    uniforms: [{ type: 'int32', data: [channels] }, { type: 'int32', data: [rows] }],
  };
}

/**
 * Moments: the mean first, then the mean of squared deviations from it (two passes), each written
 * with `writeMoment(index, value)`; and from them the moving statistics, NewMean and NewVariance.
 * `mean` and `variance` stay defined for what follows.
 */
const momentsBody = (writeMoment: (index: string, value: string) => string) => `
        var sum = 0.0;
        ${forEachRow('sum = sum + X[i];')}
        let mean = sumOver(lane, sum) / f32(uniforms.rows);
        var squares = 0.0;
        ${forEachRow('let d = X[i] - mean; squares = squares + d * d;')}
        let variance = sumOver(lane, squares) / f32(uniforms.rows);
        if (lane == 0) {
          ${writeMoment('channel', 'mean')}
          ${writeMoment('channels + channel', 'variance')}
          let movingMean = MovingMean[channel];
          NewMean[channel] = movingMean - (movingMean - mean) * uniforms.decay;
          let movingVariance = MovingVariance[channel];
          NewVariance[channel] = movingVariance - (movingVariance - variance) * uniforms.decay;
        }`;

/** The moments through `result` (the normalization follows in a shader of its own). */
export const MOMENTS_CODE = perChannelCode(momentsBody((index, value) => `setOutputAtIndex(${index}, ${value});`));

/** WGSL: the ReLU of `v` as tfjs-backend-webgpu's: NaN and −0 pass. */
export const reluOf = (v: string) => `select(${v}, 0.0, ${v} < 0.0)`;

/**
 * WGSL: the ReLU's gradient factor at its output (or input) `v`, as tfjs's step: 1 where v > 0, 0
 * elsewhere, NaN where v is NaN.
 */
export const reluStep = (v: string) => `select(select(0.0, 1.0, ${v} > 0.0), ${v}, isnan(${v}))`;

/** WGSL: dy at value `i`, through the ReLU after the normalization when its output Y is an input. */
const dyAt = (i: string, relu: boolean) => (relu ? `Dy[${i}] * ${reluStep(`Y[${i}]`)}` : `Dy[${i}]`);

/** WGSL: value `i` normalized with `inv` (γ/√(variance + ε)) defined, and written (through the ReLU with relu). */
export const writeNormalized = (i: string, mean: string, beta: string, relu: boolean) => `let normed = (X[${i}] - ${mean}) * inv + ${beta};
          setOutputAtIndex(${i}, ${relu ? reluOf('normed') : 'normed'});`;

/** The moments through Moments, then the channel's values normalized (through the ReLU with relu) through `result`. */
export const normalizeInOneCode = (relu: boolean) =>
  perChannelCode(`${momentsBody((index, value) => `Moments[${index}] = ${value};`)}
        let inv = Gamma[channel] * inverseSqrt(variance + uniforms.epsilon);
        let offset = Beta[channel];
        ${forEachRow(writeNormalized('i', 'mean', 'offset', relu))}`);

/**
 * A channel's dβ = Σ dy and dγ = Σ dy·(x − mean)/√(variance + ε) (dy through the ReLU after the
 * normalization with relu), written by lane 0 with `writeGradients(dGamma, dBeta)`; `mean`,
 * `invStd`, `dGamma` and `dBeta` stay defined for what follows.
 */
const gradientSumsBody = (relu: boolean, writeGradients: (dGamma: string, dBeta: string) => string) => `
        let mean = Moments[channel];
        let invStd = inverseSqrt(Moments[channels + channel] + uniforms.epsilon);
        var sumDy = 0.0;
        var sumDyCentred = 0.0;
        ${forEachRow(`let dy = ${dyAt('i', relu)}; sumDy = sumDy + dy; sumDyCentred = sumDyCentred + dy * (X[i] - mean);`)}
        let dBeta = sumOver(lane, sumDy);
        let dGamma = sumOver(lane, sumDyCentred) * invStd;
        if (lane == 0) {
          ${writeGradients('dGamma', 'dBeta')}
        }`;

/**
 * WGSL: dx at value `i` (fused-batch-norm.ts's closed form), with `invStd` defined and channel
 * `c`'s γ, dγ and dβ given.
 */
export const writeDx = (i: string, mean: string, c: string, dGamma: string, dBeta: string, relu: boolean) => `let k = Gamma[${c}] * invStd;
          let xHatCoefficient = k * ${dGamma} * uniforms.negInvCount;
          let constant = k * ${dBeta} * uniforms.negInvCount;
          setOutputAtIndex(${i}, ${dyAt(i, relu)} * k + ((X[${i}] - ${mean}) * (xHatCoefficient * invStd) + constant));`;

/** dγ and dβ through DGamma and DBeta, then the channel's dx through `result`. */
export const normalizeGradInOneCode = (relu: boolean) =>
  perChannelCode(`${gradientSumsBody(relu, (dGamma, dBeta) => `DGamma[channel] = ${dGamma}; DBeta[channel] = ${dBeta};`)}
        ${forEachRow(writeDx('i', 'mean', 'channel', 'dGamma', 'dBeta', relu))}`);

/** dγ through `result`, dβ through DBeta (dx follows in a shader of its own). */
export const gradStatsCode = (relu: boolean) => perChannelCode(gradientSumsBody(relu, (dGamma, dBeta) => `setOutputAtIndex(channel, ${dGamma}); DBeta[channel] = ${dBeta};`));

/** Each channel's sum over the rows. */
const COLUMN_SUMS_CODE = perChannelCode(`
        var sum = 0.0;
        ${forEachRow('sum = sum + X[i];')}
        let total = sumOver(lane, sum);
        if (lane == 0) { setOutputAtIndex(channel, total); }`);

/**
 * The kernel function for Sum on webgpu: over every axis but the last of a float32 tensor, each
 * channel's sum in one shader (one workgroup a channel, as perChannelProgram); tfjs's `stock`
 * (a transpose, then its sum) for any other sum.
 */
export function leadingAxesSum(tf: Tf, stock: tfType.KernelFunc): tfType.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tfType.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const { channels } = channelsOf(x);
    if (!overLeadingAxes(tf, x.shape, axis) || x.dtype !== 'float32' || sizeOf(x) === 0 || channels > PER_CHANNEL_MAX_CHANNELS) return stock(args);
    const outputShape = keepDims ? [...x.shape.slice(0, -1).map(() => 1), channels] : [channels];
    const { program, uniforms } = perChannelProgram('labgrade_column_sums', COLUMN_SUMS_CODE, ['X'], x, outputShape);
    return run(args.backend, program, [x], uniforms);
  };
}

export function channelsOf(t: tfType.TensorInfo): { channels: number; rows: number } {
  const channels = t.shape[t.shape.length - 1];
  return { channels, rows: sizeOf(t) / channels };
}
/** Per-channel inputs have one value a channel of x. */
export function checkChannels(name: string, x: tfType.TensorInfo, perChannel: Record<string, tfType.TensorInfo>): void {
  const { channels } = channelsOf(x);
  for (const [input, t] of Object.entries(perChannel)) {
    if (t.shape.join() !== String(channels)) throw new Error(`${name}: ${input} has shape [${t.shape}], not [${channels}]`);
  }
}