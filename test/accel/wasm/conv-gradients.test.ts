/**
 * Gradient check: the op-built convolution gradients against the stock cpu kernels, on small
 * shapes covering 1×1 and k×k filters, strides 1–3, 'same' (with its asymmetric padding), 'valid'
 * and explicit padding, and odd sizes; then the same on wasm, where they are registered.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterFromOps, conv2dBackpropInputFromOps, type BackpropAttrs } from '../../../src/accel/wasm/conv-gradients.js';
import { activateBackend } from '../../../src/backends/choice.js';
import { RandomState } from '../../../src/rng/random-state.js';

interface Case {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number;
  pad: BackpropAttrs['pad'];
}

const cases: Case[] = [
  { x: [2, 5, 5, 3], filter: [1, 1, 3, 4], strides: 1, pad: 'valid' },
  { x: [2, 7, 6, 3], filter: [1, 1, 3, 4], strides: 2, pad: 'valid' },
  { x: [2, 6, 6, 2], filter: [1, 1, 2, 3], strides: 2, pad: 'same' },
  { x: [3, 8, 8, 3], filter: [4, 4, 3, 8], strides: 1, pad: 'same' },
  { x: [2, 8, 8, 8], filter: [2, 2, 8, 5], strides: 1, pad: 'same' },
  { x: [2, 9, 7, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'valid' },
  { x: [2, 9, 9, 2], filter: [3, 3, 2, 3], strides: 2, pad: 'same' },
  { x: [1, 11, 10, 3], filter: [7, 7, 3, 4], strides: 2, pad: 'valid' },
  { x: [2, 10, 10, 3], filter: [5, 3, 3, 2], strides: 3, pad: 'same' },
  { x: [2, 6, 6, 2], filter: [3, 3, 2, 2], strides: 1, pad: 1 },
  { x: [2, 7, 7, 2], filter: [3, 3, 2, 2], strides: 2, pad: [[0, 0], [2, 0], [1, 2], [0, 0]] },
];

function randomTensor(rng: RandomState, shape: readonly number[]): tf.Tensor4D {
  return tf.tensor<tf.Rank>(Array.from(rng.randn(shape.reduce((a, b) => a * b, 1))), [...shape]) as tf.Tensor4D;
}

function expectClose(actual: tf.Tensor, expected: tf.Tensor): void {
  expect(actual.shape).toEqual(expected.shape);
  const a = actual.dataSync();
  const e = expected.dataSync();
  const scale = Math.max(1, ...Array.from(e, Math.abs));
  let worst = 0;
  for (let i = 0; i < e.length; i++) worst = Math.max(worst, Math.abs(a[i] - e[i]));
  expect(worst / scale).toBeLessThan(1e-5);
}

/** tfjs exports no conv2dBackpropFilter op: run the kernel the Conv2D gradient runs. */
function runFilterKernel(x: tf.Tensor4D, dy: tf.Tensor4D, c: Case): tf.Tensor4D {
  const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter };
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

function describeCase(c: Case): string {
  return `x ${c.x.join('×')}, filter ${c.filter.join('×')}, stride ${c.strides}, pad ${JSON.stringify(c.pad)}`;
}

async function checkAgainstStock(backend: 'cpu' | 'wasm', viaKernels: boolean): Promise<void> {
  for (const c of cases) {
    const rng = new RandomState(7);
    const x = randomTensor(rng, c.x);
    const filter = randomTensor(rng, c.filter);
    const dy = tf.tidy(() => tf.onesLike(tf.conv2d(x, filter, c.strides, c.pad)));
    const dyRandom = randomTensor(rng, dy.shape);
    await tf.setBackend('cpu');
    const expectedFilter = runFilterKernel(x, dyRandom, c);
    const expectedInput = tf.conv2dTranspose(dyRandom, filter, c.x, c.strides, c.pad);
    await tf.setBackend(backend);
    const [xb, fb, dyb] = [x, filter, dyRandom].map((t) => tf.tensor(t.dataSync(), t.shape)) as tf.Tensor4D[];
    const attrs = { strides: c.strides, pad: c.pad };
    try {
      const gotFilter = viaKernels ? runFilterKernel(xb, dyb, c) : conv2dBackpropFilterFromOps(tf, xb, dyb, c.filter, attrs);
      const gotInput = viaKernels ? tf.conv2dTranspose(dyb, fb, c.x, c.strides, c.pad) : conv2dBackpropInputFromOps(tf, dyb, fb, c.x, attrs);
      expectClose(gotFilter, expectedFilter);
      expectClose(gotInput, expectedInput);
    } catch (err) {
      throw new Error(`${describeCase(c)} on ${backend}: ${(err as Error).message}`);
    }
  }
}

describe('op-built convolution gradients', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  test('match the stock cpu kernels (computed with ops on cpu)', async () => {
    await checkAgainstStock('cpu', false);
  });

  test('are what wasm runs for Conv2DBackpropFilter and Conv2DBackpropInput, and match the stock cpu kernels there', async () => {
    const active = await activateBackend(tf, 'wasm');
    expect(active.name).toBe('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    await checkAgainstStock('wasm', true);
  });

  test('a whole training gradient on wasm matches the cpu backend', async () => {
    const rng = new RandomState(3);
    const x = randomTensor(rng, [4, 16, 16, 3]);
    const w1 = randomTensor(rng, [4, 4, 3, 8]);
    const w2 = randomTensor(rng, [2, 2, 8, 6]);
    const loss = (xi: tf.Tensor4D, a: tf.Tensor4D, b: tf.Tensor4D) => {
      const h = tf.maxPool(tf.relu(tf.conv2d(xi, a, 1, 'same')), 4, 4, 'same');
      return tf.mean(tf.square(tf.conv2d(h, b, 2, 'same')));
    };
    const gradsOn = async (backend: string) => {
      await tf.setBackend(backend);
      const [xb, ab, bb] = [x, w1, w2].map((t) => tf.tensor(t.dataSync(), t.shape)) as tf.Tensor4D[];
      return tf.grads((a: tf.Tensor, b: tf.Tensor) => loss(xb, a as tf.Tensor4D, b as tf.Tensor4D))([ab, bb]);
    };
    const onCpu = await gradsOn('cpu');
    const onWasm = await gradsOn('wasm');
    onWasm.forEach((g, i) => expectClose(g, onCpu[i]));
  });
});

describe('wasm max-pool gradient (loops over the heap)', () => {
  const poolCases: { x: [number, number, number, number]; size: number; strides: number; pad: 'same' | 'valid' }[] = [
    { x: [2, 16, 16, 3], size: 8, strides: 8, pad: 'same' },
    { x: [2, 8, 8, 4], size: 4, strides: 4, pad: 'same' },
    { x: [2, 10, 9, 2], size: 4, strides: 4, pad: 'same' },
    { x: [2, 10, 9, 2], size: 4, strides: 4, pad: 'valid' },
    { x: [1, 7, 7, 2], size: 2, strides: 2, pad: 'same' },
    // Overlapping windows: Lab 1's f 2 / stride 1, and ResNet50's 3×3 / stride 2.
    { x: [5, 5, 3, 2], size: 2, strides: 1, pad: 'valid' },
    { x: [2, 9, 9, 3], size: 3, strides: 2, pad: 'valid' },
    { x: [2, 8, 7, 2], size: 3, strides: 2, pad: 'same' },
    { x: [2, 6, 6, 2], size: 2, strides: 3, pad: 'valid' },
  ];

  test('routes each window to its first maximum, like the stock cpu kernel, ties and overlapping windows included', async () => {
    for (const c of poolCases) {
      const rng = new RandomState(11);
      // Rounded and ReLU'd: many windows have tied maxima (all zeros), as after a ReLU in a CNN.
      const x = tf.tidy(() => tf.relu(tf.round(randomTensor(rng, c.x))) as tf.Tensor4D);
      const gradOn = async (backend: string) => {
        await tf.setBackend(backend);
        const xb = tf.tensor(x.dataSync(), x.shape) as tf.Tensor4D;
        const dyShape = tf.maxPool(xb, c.size, c.strides, c.pad).shape;
        const dy = tf.tensor(Array.from(new RandomState(5).randn(dyShape.reduce((a, b) => a * b, 1))), dyShape);
        return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, c.size, c.strides, c.pad), dy)))(xb);
      };
      const expected = await gradOn('cpu');
      await activateBackend(tf, 'wasm');
      const actual = await gradOn('wasm');
      try {
        expectClose(actual, expected);
      } catch (err) {
        throw new Error(`x ${c.x.join('×')}, pool ${c.size}/${c.strides} ${c.pad}: ${(err as Error).message}`);
      }
    }
    await tf.setBackend('cpu');
  });

  test("a forward output that is NaN, not in its window, or a signed zero still routes to the first maximum (the kernel's fallback)", async () => {
    // 2×2 windows: the forward output given for each is NaN, 6 (not in the window), +0 for a
    // window holding -0 first, and the true maximum 9 (tied).
    const runOn = async (backend: string) => {
      if (backend === 'wasm') await activateBackend(tf, 'wasm');
      else await tf.setBackend(backend);
      const x = tf.tensor4d([1, 5, 4, 7, -0, 0, 2, 9, 2, 3, 7, 1, 0, -1, 9, 9], [1, 2, 8, 1]);
      const y = tf.tensor4d([NaN, 6, 0, 9], [1, 1, 4, 1]);
      const dy = tf.tensor4d([10, 20, 30, 40], [1, 1, 4, 1]);
      const dx = tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, { filterSize: 2, strides: 2, pad: 'valid' }) as tf.Tensor;
      return Array.from(dx.dataSync());
    };
    const expected = await runOn('cpu');
    expect(expected).toEqual([0, 10, 0, 20, 30, 0, 0, 40, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(await runOn('wasm')).toEqual(expected);
    await tf.setBackend('cpu');
  });

  test('windows holding NaN, -∞ and signed zeros go where the stock cpu kernel sends them', async () => {
    // 2×2 windows, one per pair of columns: NaN beside the maximum, only -∞, only NaN, -∞ beside
    // a finite value, and tied maxima of +0 and -0.
    const rows = [
      [NaN, 1, -Infinity, -Infinity, NaN, NaN, -Infinity, -5, 0, -0],
      [2, NaN, -Infinity, -Infinity, NaN, NaN, -Infinity, -Infinity, -0, 0],
    ];
    const gradOn = async (backend: string) => {
      await tf.setBackend(backend);
      const x = tf.tensor4d(rows.flat(), [1, 2, 10, 1]);
      const dy = tf.tensor4d([10, 20, 30, 40, 50], [1, 1, 5, 1]);
      return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'), dy)))(x);
    };
    const expected = await gradOn('cpu');
    await activateBackend(tf, 'wasm');
    const actual = await gradOn('wasm');
    expect(Array.from(actual.dataSync())).toEqual(Array.from(expected.dataSync()));
    expect(Array.from(expected.dataSync())).toEqual([0, 0, 0, 0, 0, 0, 0, 40, 50, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    await tf.setBackend('cpu');
  });
});
