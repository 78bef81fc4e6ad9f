/**
 * wasm's Conv2DBackpropFilter over dy's nonzero values: the same gradients as the stock cpu kernel
 * where dy is mostly zeros (strides, 'same', 'valid' and explicit padding, windows past the edges),
 * NaN in dy passed on, and the dense kernel still running where dy is dense or x is not finite.
 */
import * as tf from '@tensorflow/tfjs';
import { activateBackend } from '../../../src/backends/choice.js';
import { nonzeroPositions } from '../../../src/accel/wasm/sparse-filter-gradient.js';
import { RandomState } from '../../../src/rng/random-state.js';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
interface Case {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
}

const cases: Case[] = [
  // Lab 2's first convolution, smaller.
  { x: [3, 16, 16, 3], filter: [4, 4, 3, 8], strides: 1, pad: 'same' },
  { x: [4, 21, 17, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'valid' },
  { x: [4, 31, 28, 3], filter: [5, 3, 3, 2], strides: 3, pad: 'same' },
  { x: [2, 40, 38, 3], filter: [7, 7, 3, 4], strides: 2, pad: 'same' },
  { x: [4, 17, 15, 2], filter: [3, 3, 2, 2], strides: 2, pad: [[0, 0], [2, 0], [1, 2], [0, 0]] },
  { x: [4, 12, 12, 5], filter: [1, 1, 5, 3], strides: 2, pad: 'valid' },
  // Strides unequal by axis; padding past the filter, so that some windows lie wholly in it.
  { x: [3, 6, 7, 2], filter: [2, 2, 2, 3], strides: [2, 3], pad: [[0, 0], [3, 2], [2, 4], [0, 0]] },
];

function filterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, c: Case): tf.Tensor4D {
  const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter };
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** dy for the case with `keep` of its values nonzero (random positions), the rest zeros. */
function sparseValues(rng: RandomState, count: number, keep: number): Float32Array {
  const values = new Float32Array(count);
  const normal = rng.randn(count);
  rng.rand(count).forEach((u, i) => {
    if (u < keep) values[i] = normal[i];
  });
  return values;
}

interface Run {
  values: number[];
  /** Whether the dense kernel ran: it is built from tf ops (Conv2D, or a matrix product for 1×1 filters), which show in tf.profile; the sparse loops run none. */
  dense: boolean;
}

/** The filter gradient on cpu (stock) and on wasm (labgrade's kernels). */
async function onBoth(x: Float32Array, dy: Float32Array, c: Case): Promise<{ cpu: Run; wasm: Run }> {
  const dyShape = tf.tidy(() => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.filter) as tf.Tensor4D, c.strides, c.pad).shape);
  const run = async (): Promise<Run> => {
    const [xt, dyt] = [tf.tensor4d(x, c.x), tf.tensor4d(dy, dyShape)];
    let values: number[] = [];
    const profile = await tf.profile(() => {
      const dW = filterGradient(xt, dyt, c);
      values = Array.from(dW.dataSync());
      return dW;
    });
    tf.dispose([xt, dyt]);
    return { values, dense: profile.kernels.some((k) => k.name !== 'Conv2DBackpropFilter') };
  };
  await tf.setBackend('cpu');
  const cpu = await run();
  await activateBackend(tf, 'wasm');
  const wasm = await run();
  await tf.setBackend('cpu');
  return { cpu, wasm };
}

/**
 * `exact`: the same bits (NaN where NaN): the sparse loops sum as the stock cpu kernel does, in
 * float64 in the same order, the zeros adding nothing. Otherwise within 1e-5 of the largest value
 * (the dense kernel sums in float32, in XNNPACK's order).
 */
function expectSameGradient(actual: number[], expected: number[], label: string, exact: boolean): void {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(1, ...expected.filter(Number.isFinite).map(Math.abs));
  actual.forEach((a, i) => {
    const e = expected[i];
    const same = Number.isNaN(e) || Number.isNaN(a) ? Number.isNaN(e) === Number.isNaN(a) : exact ? Object.is(a, e) : Math.abs(a - e) / scale <= 1e-5;
    if (!same) throw new Error(`${label}: dW[${i}] is ${a}, the cpu kernel gives ${e}`);
  });
}

const label = (c: Case) => `x ${c.x.join('×')}, filter ${c.filter.join('×')}, stride ${c.strides}, pad ${JSON.stringify(c.pad)}`;
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

describe('wasm filter gradient over the nonzero values of dy', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  test('matches the stock cpu kernel where dy is mostly zeros, and runs no dense convolution there', async () => {
    for (const c of cases) {
      const rng = new RandomState(17);
      const x = Float32Array.from(rng.randn(size(c.x)));
      const dyCount = size(tf.tidy(() => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.filter) as tf.Tensor4D, c.strides, c.pad).shape));
      // A third of what the loops take: they run while nonzeros × kh·kw·C ≤ 2 × dy's size.
      const dy = sparseValues(rng, dyCount, 0.6 / (c.filter[0] * c.filter[1] * c.filter[2]));
      const { cpu, wasm } = await onBoth(x, dy, c);
      expect(cpu.values.some((v) => v !== 0)).toBe(true);
      expectSameGradient(wasm.values, cpu.values, label(c), true);
      expect({ case: label(c), dense: wasm.dense }).toEqual({ case: label(c), dense: false });
    }
  });

  test('a dense dy still takes the dense kernel, with the same result', async () => {
    const c = cases[0];
    const rng = new RandomState(5);
    const x = Float32Array.from(rng.randn(size(c.x)));
    const dy = sparseValues(rng, c.x[0] * c.x[1] * c.x[2] * c.filter[3], 0.5);
    const { cpu, wasm } = await onBoth(x, dy, c);
    expect(wasm.dense).toBe(true);
    expectSameGradient(wasm.values, cpu.values, label(c), false);
  });

  test('an all-zero dy gives zeros; NaN in dy is passed on as the cpu kernel passes it', async () => {
    const c = cases[0];
    const rng = new RandomState(9);
    const x = Float32Array.from(rng.randn(size(c.x)));
    const count = c.x[0] * c.x[1] * c.x[2] * c.filter[3];
    const zeros = await onBoth(x, new Float32Array(count), c);
    expect(zeros.wasm.values.every((v) => v === 0)).toBe(true);
    expect(zeros.wasm.dense).toBe(false);
    const dy = sparseValues(rng, count, 0.01);
    dy[count - 1] = NaN; // the last pixel's last channel: only that output channel's sums it reaches
    const withNaN = await onBoth(x, dy, c);
    expect(withNaN.wasm.dense).toBe(false);
    expect(withNaN.cpu.values.some(Number.isNaN)).toBe(true);
    expect(withNaN.cpu.values.every(Number.isNaN)).toBe(false);
    expectSameGradient(withNaN.wasm.values, withNaN.cpu.values, 'NaN in dy', true);
  });

  test('an input with ∞ or NaN takes the dense kernel: 0 · ∞ is NaN there, which skipping zeros would lose', async () => {
    const c = cases[0];
    const rng = new RandomState(13);
    for (const bad of [Infinity, -Infinity, NaN]) {
      const x = Float32Array.from(rng.randn(size(c.x)));
      x[7] = bad;
      const dy = sparseValues(rng, c.x[0] * c.x[1] * c.x[2] * c.filter[3], 0.01);
      const { cpu, wasm } = await onBoth(x, dy, c);
      expect(wasm.dense).toBe(true);
      expect(cpu.values.some(Number.isNaN)).toBe(true);
      expectSameGradient(wasm.values, cpu.values, `x holding ${bad}`, false);
    }
  });

  test('shapes that do not fit together are an error, not a gradient of the wrong size', async () => {
    await activateBackend(tf, 'wasm');
    const x = tf.zeros([2, 8, 8, 3]) as tf.Tensor4D;
    const run = (dy: tf.Tensor4D, filterShape: number[]) => () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape } as unknown as tf.NamedAttrMap);
    const dy = tf.zeros([2, 8, 8, 4]) as tf.Tensor4D;
    expect(run(dy, [3, 3, 5, 4])).toThrow('Conv2DBackpropFilter: the filter shape [3,3,5,4] takes 5 input channels, x [2,8,8,3] has 3');
    expect(run(tf.zeros([2, 7, 8, 4]) as tf.Tensor4D, [3, 3, 3, 4])).toThrow('Conv2DBackpropFilter: dy has shape [2,7,8,4]; x [2,8,8,3] convolved with a [3,3,3,4] filter gives [2,8,8,4]');
    expect(run(dy, [3, 3, 3, 6])).toThrow('gives [2,8,8,6]');
    await tf.setBackend('cpu');
  });

  test("Lab 2's layers (conv → relu → maxpool 8×8) train with the same gradients as on cpu", async () => {
    const rng = new RandomState(3);
    const x = tf.tensor4d(Float32Array.from(rng.randn(4 * 32 * 32 * 3)), [4, 32, 32, 3]);
    const w1 = tf.tensor4d(Float32Array.from(rng.randn(4 * 4 * 3 * 8)), [4, 4, 3, 8]);
    const w2 = tf.tensor4d(Float32Array.from(rng.randn(2 * 2 * 8 * 6)), [2, 2, 8, 6]);
    const gradsOn = async (backend: 'cpu' | 'wasm') => {
      if (backend === 'wasm') await activateBackend(tf, 'wasm');
      else await tf.setBackend('cpu');
      const [xb, ab, bb] = [x, w1, w2].map((t) => tf.tensor4d(t.dataSync() as Float32Array, t.shape as [number, number, number, number]));
      const loss = (a: tf.Tensor, b: tf.Tensor) => {
        const pooled = tf.maxPool(tf.relu(tf.conv2d(xb, a as tf.Tensor4D, 1, 'same')), 8, 8, 'same');
        return tf.mean(tf.square(tf.conv2d(pooled, b as tf.Tensor4D, 1, 'same')));
      };
      let grads: number[][] = [];
      const profile = await tf.profile(() => {
        const g = tf.grads(loss)([ab, bb]);
        grads = g.map((t) => Array.from(t.dataSync()));
        return g;
      });
      return { grads, convolutions: profile.kernels.filter((k) => k.name === 'Conv2D').length };
    };
    const cpu = await gradsOn('cpu');
    const wasm = await gradsOn('wasm');
    // Within a tolerance: the first layer's dy comes through the second layer's dense gradients.
    wasm.grads.forEach((g, i) => expectSameGradient(g, cpu.grads[i], `gradient ${i}`, false));
    // The two forward convolutions and the second layer's two gradients, built from Conv2D (its dy
    // is dense); the first layer's filter gradient, where dy is 1 value in 64 at most, runs none.
    expect(wasm.convolutions).toBe(4);
    await tf.setBackend('cpu');
  });
});

describe('nonzeroPositions', () => {
  test('lists nonzero values, NaN and infinities, skips +0 and -0 (a whole block of eight of them too), in order, at any offset, the last values of a length not a multiple of eight too', () => {
    const values = [0, 1, -0, NaN, 0, 0, -2, 0, 0, 3, -0, 0, 0, -0, 5, 0, -0, 0, -0, -0, 0, 0, -0, 0, 1e-45, -Infinity, 0, Infinity, -0, 7];
    const buffer = new ArrayBuffer((values.length + 8) * 4);
    for (const offset of [0, 4, 12]) {
      for (const length of [values.length, 24, 15, 7]) {
        const dy = new Float32Array(buffer, offset, length);
        dy.set(values.slice(0, length));
        const expected = values.slice(0, length).flatMap((v, i) => (v === 0 ? [] : [i]));
        expect(Array.from(nonzeroPositions(dy, 100)!)).toEqual(expected);
      }
    }
  });

  test('gives up (null) past the limit', () => {
    const dy = Float32Array.from([0, 1, 2, 0, 3]);
    expect(nonzeroPositions(dy, 2)).toBeNull();
    expect(Array.from(nonzeroPositions(dy, 3)!)).toEqual([1, 2, 4]);
    expect(Array.from(nonzeroPositions(new Float32Array(5), 0)!)).toEqual([]);
  });
});
