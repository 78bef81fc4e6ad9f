/**
 * labgrade's batch normalization kernels on wasm (BATCH_NORM_TRAINING and NORMALIZE_GRAD, the
 * function WebGPU's compute, webgpu/training-kernels.ts) in passes over the heap, four channels at
 * a time: forward, the moments, then the normalized values; backward, dβ and dγ, then dx. Built
 * from tfjs ops a layer ran about 20 kernels each way, wasm's FusedBatchNorm twice among them (8–12
 * ms each for ResNet50's [32, 15, 15, 256], where these two kernels take about 17 ms together).
 * Each channel's sums are float64, rounded once. No ReLU inside (reluFusion): a JavaScript pass
 * for it is slower than tfjs's SIMD ReLU and its gradient. Only while labgrade trains: nothing
 * graded runs them.
 */
import type * as tfType from '@tensorflow/tfjs';
import { BATCH_NORM_TRAINING, NORMALIZE_GRAD } from '../kernel-names.js';
import type { WasmHeapBackend } from './wasm-heap.js';

type Tf = typeof tfType;
type Info = tfType.TensorInfo;

/** Rows a tile: four channels' values of a tile stay in the cache while their sums stay in locals. */
const TILE_ROWS = 32;

/**
 * Each channel's Σ a and Σ a·(b − shift), float64, four channels at a time over a tile of rows,
 * into `sumA` and `sumProducts`: the backward pass's Σ dy and Σ dy·(x − mean), the forward's Σ x
 * and Σ x² (shift 0).
 */
export function productSums(a: Float32Array, b: Float32Array, shift: Float32Array, sumA: Float64Array, sumProducts: Float64Array): void {
  const channels = shift.length;
  const rows = a.length / channels;
  for (let firstRow = 0; firstRow < rows; firstRow += TILE_ROWS) {
    const start = firstRow * channels;
    const end = Math.min(rows, firstRow + TILE_ROWS) * channels;
    let c = 0;
    for (; c + 4 <= channels; c += 4) {
      const m0 = shift[c], m1 = shift[c + 1], m2 = shift[c + 2], m3 = shift[c + 3];
      let s0 = sumA[c], s1 = sumA[c + 1], s2 = sumA[c + 2], s3 = sumA[c + 3];
      let p0 = sumProducts[c], p1 = sumProducts[c + 1], p2 = sumProducts[c + 2], p3 = sumProducts[c + 3];
      for (let i = start + c; i < end; i += channels) {
        const g0 = a[i], g1 = a[i + 1], g2 = a[i + 2], g3 = a[i + 3];
        s0 += g0;
        s1 += g1;
        s2 += g2;
        s3 += g3;
        p0 += g0 * (b[i] - m0);
        p1 += g1 * (b[i + 1] - m1);
        p2 += g2 * (b[i + 2] - m2);
        p3 += g3 * (b[i + 3] - m3);
      }
      sumA[c] = s0;
      sumA[c + 1] = s1;
      sumA[c + 2] = s2;
      sumA[c + 3] = s3;
      sumProducts[c] = p0;
      sumProducts[c + 1] = p1;
      sumProducts[c + 2] = p2;
      sumProducts[c + 3] = p3;
    }
    for (; c < channels; c++) {
      const m = shift[c];
      let sum = sumA[c];
      let products = sumProducts[c];
      for (let i = start + c; i < end; i += channels) {
        sum += a[i];
        products += a[i] * (b[i] - m);
      }
      sumA[c] = sum;
      sumProducts[c] = products;
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
  // One pass: Σx and Σx² in float64, whose variance Σx²/m − mean² loses bits to cancellation only
  // where a channel's mean is thousands of its standard deviations (float64 keeps 53).
  const sums = new Float64Array(channels);
  const squares = new Float64Array(channels);
  productSums(values, values, new Float32Array(channels), sums, squares);
  const rows = values.length / channels;
  for (let c = 0; c < channels; c++) {
    const m = sums[c] / rows;
    mean[c] = m;
    variance[c] = Math.max(0, squares[c] / rows - m * m);
  }
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
  productSums(dyValues, values, mean, sumDy, sumDyCentred);
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
