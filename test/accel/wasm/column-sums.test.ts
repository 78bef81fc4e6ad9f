/**
 * While labgrade trains (useColumnSums), wasm's Sum over the leading axes gives the cpu kernel's bits, NaN and
 * infinities included, and Mean the cpu kernel's values to 1e-6; other reductions still reach
 * wasm's own kernels, and wasm's own come back after.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from '@jest/globals';
import { activateBackend } from '../../../src/backends/choice.js';
import { useColumnSums } from '../../../src/accel/wasm/column-sums.js';

/** `op` on the cpu backend and on wasm, each result's values. */
async function onBoth(values: Float32Array, shape: number[], op: (x: tf.Tensor) => tf.Tensor): Promise<[Float32Array, Float32Array, number[], number[]]> {
  const results: { data: Float32Array; shape: number[] }[] = [];
  for (const backend of ['cpu', 'wasm'] as const) {
    await activateBackend(tf, backend);
    const restore = useColumnSums(tf);
    try {
      const x = tf.tensor(values, shape, 'float32');
      const y = op(x);
      results.push({ data: y.dataSync() as Float32Array, shape: y.shape });
      tf.dispose([x, y]);
    } finally {
      restore();
    }
  }
  return [results[0].data, results[1].data, results[0].shape, results[1].shape];
}

function randomValues(size: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length: size }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return (state / 2 ** 31) * 8 - 4;
  });
}

describe('wasm Sum and Mean over the leading axes', () => {
  const cases: [string, number[], number[]][] = [
    ["a bias gradient's shape", [8, 15, 15, 256], [0, 1, 2]],
    ['channels not a multiple of eight', [5, 3, 7, 13], [0, 1, 2]],
    ['a matrix', [70, 6], [0]],
    ['negative axes', [4, 9, 11], [-3, -2]],
  ];
  for (const [name, shape, axes] of cases) {
    for (const keepDims of [false, true]) {
      test(`${name} ${JSON.stringify(shape)}, keepDims ${keepDims}: the cpu kernel's sums, and its means to 1e-6`, async () => {
        const values = randomValues(shape.reduce((a, b) => a * b, 1), shape.length * 7 + 1);
        const [cpuSum, wasmSum, cpuShape, wasmShape] = await onBoth(values, shape, (x) => tf.sum(x, axes, keepDims));
        expect(wasmShape).toEqual(cpuShape);
        expect(Array.from(wasmSum)).toEqual(Array.from(cpuSum));
        const [cpuMean, wasmMean] = await onBoth(values, shape, (x) => tf.mean(x, axes, keepDims));
        wasmMean.forEach((v, i) => expect(v).toBeCloseTo(cpuMean[i], 6));
      });
    }
  }

  test('NaN and infinities come out as on the cpu backend', async () => {
    const values = randomValues(4 * 16, 3);
    values[0] = NaN;
    values[17] = Infinity;
    values[33] = Infinity;
    values[49] = -Infinity;
    values[2] = Infinity;
    const [cpu, wasm] = await onBoth(values, [4, 16], (x) => tf.sum(x, 0));
    expect(Array.from(wasm)).toEqual(Array.from(cpu));
  });

  test("other reductions are wasm's own, and agree with the cpu backend", async () => {
    const values = randomValues(6 * 5 * 4, 9);
    for (const op of [(x: tf.Tensor) => tf.sum(x, [1, 2]), (x: tf.Tensor) => tf.mean(x, 2), (x: tf.Tensor) => tf.sum(x), (x: tf.Tensor) => tf.sum(x.toInt(), [0, 1])]) {
      const [cpu, wasm] = await onBoth(values, [6, 5, 4], op);
      Array.from(wasm).forEach((v, i) => expect(v).toBeCloseTo(cpu[i], 4));
    }
  });

  test("restored, wasm's own kernels run again (they sum in float32)", async () => {
    await activateBackend(tf, 'wasm');
    const own = tf.getKernel('Sum', 'wasm');
    useColumnSums(tf)();
    expect(tf.getKernel('Sum', 'wasm')).toBe(own);
    const restoreOuter = useColumnSums(tf);
    const installed = tf.getKernel('Sum', 'wasm');
    // A training inside a training leaves the kernels in place, and its restore changes nothing.
    useColumnSums(tf)();
    expect(tf.getKernel('Sum', 'wasm')).toBe(installed);
    restoreOuter();
    expect(tf.getKernel('Sum', 'wasm')).toBe(own);
  });
});
