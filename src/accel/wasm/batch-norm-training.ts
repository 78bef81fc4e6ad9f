/**
 * labgrade's batch normalization kernels on wasm (BATCH_NORM_TRAINING and NORMALIZE_GRAD, the
 * arithmetic of WebGPU's, webgpu/training-kernels.ts) in passes over the heap, four channels at a
 * time: forward, the mean, the variance and the normalized values; backward, dβ and dγ, then dx.
 * Built from tfjs ops a layer runs about 20 kernels each way, wasm's FusedBatchNorm twice (8–12 ms
 * for ResNet50's [32, 15, 15, 256]; these kernels take about as long in all). Each channel's sums
 * are float64, rounded once. No ReLU inside (reluFusion): a JavaScript pass for it is slower than
 * tfjs's SIMD ReLU and its gradient. Only while labgrade trains: nothing graded runs them.
 */
import type * as tfType from '@tensorflow/tfjs';
import { BATCH_NORM_TRAINING, NORMALIZE_GRAD } from '../kernel-names.js';
import { columnSums } from './column-sums.js';
import type { WasmHeapBackend } from './wasm-heap.js';

type Tf = typeof tfType;
type Info = tfType.TensorInfo;

/** Rows a tile: four channels' values of a tile stay in the cache while their sums stay in locals. */
const TILE_ROWS = 32;

/** Each channel's mean of squared deviations from `mean` (float64 sums, four channels at a time), into `variance`. */
export function centredSquareMeans(x: Float32Array, mean: Float32Array, variance: Float32Array): void {
  const channels = mean.length;
  const rows = x.length / channels;
  const sums = new Float64Array(channels);
  for (let firstRow = 0; firstRow < rows; firstRow += TILE_ROWS) {
    const start = firstRow * channels;
    const end = Math.min(rows, firstRow + TILE_ROWS) * channels;
    let c = 0;
    for (; c + 4 <= channels; c += 4) {
      const m0 = mean[c], m1 = mean[c + 1], m2 = mean[c + 2], m3 = mean[c + 3];
      let s0 = sums[c], s1 = sums[c + 1], s2 = sums[c + 2], s3 = sums[c + 3];
      for (let i = start + c; i < end; i += channels) {
        const d0 = x[i] - m0, d1 = x[i + 1] - m1, d2 = x[i + 2] - m2, d3 = x[i + 3] - m3;
        s0 += d0 * d0;
        s1 += d1 * d1;
        s2 += d2 * d2;
        s3 += d3 * d3;
      }
      sums[c] = s0;
      sums[c + 1] = s1;
      sums[c + 2] = s2;
      sums[c + 3] = s3;
    }
    for (; c < channels; c++) {
      const m = mean[c];
      let s = sums[c];
      for (let i = start + c; i < end; i += channels) s += (x[i] - m) * (x[i] - m);
      sums[c] = s;
    }
  }
  for (let c = 0; c < channels; c++) variance[c] = sums[c] / rows;
}

/** Each channel's Σ dy and Σ dy·(x − mean), float64, four channels at a time over a tile of rows, into `sumDy` and `sumDyCentred`. */
export function gradientSums(dy: Float32Array, x: Float32Array, mean: Float32Array, sumDy: Float64Array, sumDyCentred: Float64Array): void {
  const channels = mean.length;
  const rows = x.length / channels;
  for (let firstRow = 0; firstRow < rows; firstRow += TILE_ROWS) {
    const start = firstRow * channels;
    const end = Math.min(rows, firstRow + TILE_ROWS) * channels;
    let c = 0;
    for (; c + 4 <= channels; c += 4) {
      const m0 = mean[c], m1 = mean[c + 1], m2 = mean[c + 2], m3 = mean[c + 3];
      let a0 = sumDy[c], a1 = sumDy[c + 1], a2 = sumDy[c + 2], a3 = sumDy[c + 3];
      let b0 = sumDyCentred[c], b1 = sumDyCentred[c + 1], b2 = sumDyCentred[c + 2], b3 = sumDyCentred[c + 3];
      for (let i = start + c; i < end; i += channels) {
        const g0 = dy[i], g1 = dy[i + 1], g2 = dy[i + 2], g3 = dy[i + 3];
        a0 += g0;
        a1 += g1;
        a2 += g2;
        a3 += g3;
        b0 += g0 * (x[i] - m0);
        b1 += g1 * (x[i + 1] - m1);
        b2 += g2 * (x[i + 2] - m2);
        b3 += g3 * (x[i + 3] - m3);
      }
      sumDy[c] = a0;
      sumDy[c + 1] = a1;
      sumDy[c + 2] = a2;
      sumDy[c + 3] = a3;
      sumDyCentred[c] = b0;
      sumDyCentred[c + 1] = b1;
      sumDyCentred[c + 2] = b2;
      sumDyCentred[c + 3] = b3;
    }
    for (; c < channels; c++) {
      const m = mean[c];
      let a = sumDy[c];
      let b = sumDyCentred[c];
      for (let i = start + c; i < end; i += channels) {
        a += dy[i];
        b += dy[i] * (x[i] - m);
      }
      sumDy[c] = a;
      sumDyCentred[c] = b;
    }
  }
}

/**
 * out = a·p + b·q + r per channel (p, q, r: one value a channel), four channels at a time over a
 * tile of rows with their coefficients in locals; b may be null (out = a·p + r: a again, times
 * zeros, which changes nothing, since an infinite a makes the channel's mean and all of out NaN).
 */
export function perChannelAffine(a: Float32Array, p: Float32Array, b: Float32Array | null, q: Float32Array, r: Float32Array, out: Float32Array): void {
  const channels = p.length;
  const rows = a.length / channels;
  const second = b ?? a;
  const qs = b ? q : new Float32Array(channels);
  for (let firstRow = 0; firstRow < rows; firstRow += TILE_ROWS) {
    const start = firstRow * channels;
    const end = Math.min(rows, firstRow + TILE_ROWS) * channels;
    let c = 0;
    for (; c + 4 <= channels; c += 4) {
      const p0 = p[c], p1 = p[c + 1], p2 = p[c + 2], p3 = p[c + 3];
      const q0 = qs[c], q1 = qs[c + 1], q2 = qs[c + 2], q3 = qs[c + 3];
      const r0 = r[c], r1 = r[c + 1], r2 = r[c + 2], r3 = r[c + 3];
      for (let i = start + c; i < end; i += channels) {
        out[i] = a[i] * p0 + second[i] * q0 + r0;
        out[i + 1] = a[i + 1] * p1 + second[i + 1] * q1 + r1;
        out[i + 2] = a[i + 2] * p2 + second[i + 2] * q2 + r2;
        out[i + 3] = a[i + 3] * p3 + second[i + 3] * q3 + r3;
      }
    }
    for (; c < channels; c++) for (let i = start + c; i < end; i += channels) out[i] = a[i] * p[c] + second[i] * qs[c] + r[c];
  }
}

const checkFloat32 = (name: string, inputs: Record<string, Info>) => {
  for (const [input, t] of Object.entries(inputs)) if (t.dtype !== 'float32') throw new Error(`${name}: ${input} is ${t.dtype}, not float32`);
};

const checkChannels = (name: string, channels: number, perChannel: Record<string, Info>) => {
  for (const [input, t] of Object.entries(perChannel)) if (t.shape.join() !== String(channels)) throw new Error(`${name}: ${input} has shape [${t.shape}], not [${channels}]`);
};

function batchNormTraining({ inputs, attrs, backend }: Parameters<tfType.KernelFunc>[0]): Info[] {
  const { x, gamma, beta, movingMean, movingVariance } = inputs as Record<'x' | 'gamma' | 'beta' | 'movingMean' | 'movingVariance', Info>;
  checkFloat32(BATCH_NORM_TRAINING, { x, gamma, beta, movingMean, movingVariance });
  const channels = x.shape[x.shape.length - 1];
  checkChannels(BATCH_NORM_TRAINING, channels, { gamma, beta, movingMean, movingVariance });
  const { epsilon, decay, relu } = attrs as unknown as { epsilon: number; decay: number; relu: boolean };
  if (relu) throw new Error(`${BATCH_NORM_TRAINING} on wasm applies no ReLU (reluFusion: tfjs's ReLU runs after it)`);
  const heap = backend as unknown as WasmHeapBackend;
  // Every output first: allocating can grow the heap, which detaches the views taken before it.
  const outputs = [heap.makeOutput(x.shape, 'float32'), heap.makeOutput([2, channels], 'float32'), heap.makeOutput([channels], 'float32'), heap.makeOutput([channels], 'float32')];
  const [normed, moments, newMean, newVariance] = outputs.map((o) => heap.typedArrayFromHeap(o));
  const [values, scale, offset, oldMean, oldVariance] = [x, gamma, beta, movingMean, movingVariance].map((t) => heap.typedArrayFromHeap(t));
  const mean = moments.subarray(0, channels);
  const variance = moments.subarray(channels);
  columnSums(values, channels, mean, values.length / channels);
  centredSquareMeans(values, mean, variance);
  // y = (x − mean)·inv + β = x·inv + (β − mean·inv), inv = γ/√(variance + ε).
  const inv = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    inv[c] = scale[c] / Math.sqrt(variance[c] + epsilon);
    shift[c] = offset[c] - mean[c] * inv[c];
    newMean[c] = oldMean[c] - (oldMean[c] - mean[c]) * decay;
    newVariance[c] = oldVariance[c] - (oldVariance[c] - variance[c]) * decay;
  }
  perChannelAffine(values, inv, null, inv, shift, normed);
  return outputs;
}

function normalizeGrad({ inputs, attrs, backend }: Parameters<tfType.KernelFunc>[0]): Info[] {
  const { dy, x, moments, gamma } = inputs as Record<'dy' | 'x' | 'moments' | 'gamma', Info>;
  checkFloat32(NORMALIZE_GRAD, { dy, x, moments, gamma });
  if (x.shape.join() !== dy.shape.join()) throw new Error(`${NORMALIZE_GRAD}: shapes [${dy.shape}] and [${x.shape}] differ`);
  const channels = x.shape[x.shape.length - 1];
  checkChannels(NORMALIZE_GRAD, channels, { gamma });
  const { epsilon } = attrs as unknown as { epsilon: number };
  const heap = backend as unknown as WasmHeapBackend;
  const outputs = [heap.makeOutput(x.shape, 'float32'), heap.makeOutput([channels], 'float32'), heap.makeOutput([channels], 'float32')];
  const [dx, dGamma, dBeta] = outputs.map((o) => heap.typedArrayFromHeap(o));
  const [dyValues, values, stats, scale] = [dy, x, moments, gamma].map((t) => heap.typedArrayFromHeap(t));
  const mean = stats.subarray(0, channels);
  const sumDy = new Float64Array(channels);
  const sumDyCentred = new Float64Array(channels);
  gradientSums(dyValues, values, mean, sumDy, sumDyCentred);
  const rows = values.length / channels;
  // dx = k·dy + (x − mean)·c₁ + c₀ with k = γ·invStd, c₁ = −k·dγ·invStd/m, c₀ = −k·dβ/m
  // (fused-batch-norm.ts's closed form), that is k·dy + x·c₁ + (c₀ − mean·c₁).
  const k = new Float32Array(channels);
  const centredCoefficient = new Float32Array(channels);
  const constant = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const invStd = 1 / Math.sqrt(stats[channels + c] + epsilon);
    dBeta[c] = sumDy[c];
    dGamma[c] = sumDyCentred[c] * invStd;
    k[c] = scale[c] * invStd;
    centredCoefficient[c] = (-k[c] * dGamma[c] * invStd) / rows;
    constant[c] = (-k[c] * dBeta[c]) / rows - mean[c] * centredCoefficient[c];
  }
  perChannelAffine(dyValues, k, values, centredCoefficient, constant, dx);
  return outputs;
}

/**
 * While labgrade trains on wasm, its batch normalization kernels, until the returned function takes
 * them off again (fused-batch-norm.ts then runs tfjs's ops, as grading does).
 */
export function useBatchNormKernels(tf: Tf): () => void {
  if (tf.getBackend() !== 'wasm' || tf.getKernel(BATCH_NORM_TRAINING, 'wasm')) return () => undefined;
  const kernels = [
    { kernelName: BATCH_NORM_TRAINING, backendName: 'wasm', kernelFunc: batchNormTraining },
    { kernelName: NORMALIZE_GRAD, backendName: 'wasm', kernelFunc: normalizeGrad },
  ] as tfType.KernelConfig[];
  for (const config of kernels) tf.registerKernel(config);
  return () => {
    for (const { kernelName } of kernels) if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
  };
}
