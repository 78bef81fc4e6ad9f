/**
 * Lab 1, "Convolution model - Step by Step": its exercises, points, hints and typical mistakes.
 *
 * Points (50, the course's weight for the lab): the four functions the course grades carry 34; the
 * optional backward pass carries 16, so a student who skips it can still pass the lab comfortably.
 */
import type * as tfType from '@tensorflow/tfjs';
import type { LabDefinition, MistakeContext, MistakeDefinition } from '../src/engine/lab-definition.js';

type T4 = tfType.Tensor4D;
type Ref = Record<string, (...args: unknown[]) => unknown>;

interface ConvHp {
  stride: number;
  pad: number;
}
interface PoolHp {
  stride: number;
  f: number;
}

const refOf = (ctx: MistakeContext) => ctx.ref as unknown as Ref;

/** A wrong Z paired with the real cache, as a convForward with this mistake returns it. */
function convForwardWith(ctx: MistakeContext, wrongZ: (tf: typeof tfType, Z: T4, args: [T4, T4, T4, ConvHp]) => T4): unknown {
  const [A, W, b, hp] = ctx.args as [T4, T4, T4, ConvHp];
  const [Z] = refOf(ctx).convForward(A, W, b, hp) as [T4];
  return [wrongZ(ctx.tf, Z, [A, W, b, hp]), [A, W, b, hp]];
}

/** Output of the window placed at (h, w) rather than (h * stride, w * stride): stride-1 output, cropped. */
function unstridedWindows(tf: typeof tfType, stride1: T4, shape: number[]): T4 {
  return tf.slice(stride1, [0, 0, 0, 0], shape);
}

function poolArgs(ctx: MistakeContext): [T4, PoolHp, 'max' | 'average'] {
  const [A, hp, mode] = ctx.args as [T4, PoolHp, ('max' | 'average')?];
  return [A, hp, mode ?? 'max'];
}

/** Pool-backward gradient computed for example k alone, zero elsewhere ("no loop over examples"). */
function poolBackwardOneExample(ctx: MistakeContext, which: 'first' | 'last'): unknown {
  const { tf } = ctx;
  const [dA, cache, mode] = ctx.args as [T4, [T4, PoolHp], ('max' | 'average')?];
  const [APrev, hp] = cache;
  const m = dA.shape[0];
  const k = which === 'first' ? 0 : m - 1;
  const one = refOf(ctx).poolBackward(
    tf.slice(dA, [k, 0, 0, 0], [1, -1, -1, -1]),
    [tf.slice(APrev, [k, 0, 0, 0], [1, -1, -1, -1]), hp],
    mode ?? 'max',
  ) as T4;
  return tf.pad(one, [[k, m - 1 - k], [0, 0], [0, 0], [0, 0]]);
}

const zeroPadMistakes: MistakeDefinition[] = [
  {
    id: 'all-axes-padded',
    variant: ({ tf, args: [X, pad] }) => tf.pad(X as T4, Array(4).fill([pad, pad]) as [number, number][]),
  },
  {
    id: 'one-side-only',
    variant: ({ tf, args: [X, pad] }) => tf.pad(X as T4, [[0, 0], [0, pad as number], [0, pad as number], [0, 0]]),
  },
];

const convSingleStepMistakes: MistakeDefinition[] = [
  {
    id: 'bias-multiplied',
    variant: ({ tf, args: [a, W, b] }) => tf.sum(tf.mul(a as T4, W as T4)).mul(tf.sum(b as T4)).dataSync()[0],
  },
  {
    id: 'bias-missing',
    variant: ({ tf, args: [a, W] }) => tf.sum(tf.mul(a as T4, W as T4)).dataSync()[0],
  },
  {
    id: 'mean-instead-of-sum',
    variant: ({ tf, args: [a, W, b] }) => tf.mean(tf.mul(a as T4, W as T4)).add(tf.sum(b as T4)).dataSync()[0],
  },
];

const convForwardMistakes: MistakeDefinition[] = [
  {
    id: 'bias-multiplied',
    variant: (ctx) => convForwardWith(ctx, (tf, Z, [, , b]) => tf.mul(tf.sub(Z, b), b)),
  },
  {
    id: 'bias-missing',
    variant: (ctx) => convForwardWith(ctx, (tf, Z, [, , b]) => tf.sub(Z, b)),
  },
  {
    id: 'window-not-strided',
    variant: (ctx) =>
      convForwardWith(ctx, (tf, Z, [A, W, b, hp]) => unstridedWindows(tf, (refOf(ctx).convForward(A, W, b, { ...hp, stride: 1 }) as [T4])[0], Z.shape)),
  },
  {
    id: 'stride-ignored',
    variant: (ctx) => convForwardWith(ctx, (_tf, _Z, [A, W, b, hp]) => (refOf(ctx).convForward(A, W, b, { ...hp, stride: 1 }) as [T4])[0]),
  },
  {
    id: 'pad-ignored',
    variant: (ctx) => convForwardWith(ctx, (_tf, _Z, [A, W, b, hp]) => (refOf(ctx).convForward(A, W, b, { ...hp, pad: 0 }) as [T4])[0]),
  },
];

const poolForwardMistakes: MistakeDefinition[] = [
  {
    id: 'mode-swapped',
    variant: (ctx) => {
      const [A, hp, mode] = poolArgs(ctx);
      return refOf(ctx).poolForward(A, hp, mode === 'max' ? 'average' : 'max');
    },
  },
  {
    id: 'window-not-strided',
    variant: (ctx) => {
      const [A, hp, mode] = poolArgs(ctx);
      const [out] = refOf(ctx).poolForward(A, hp, mode) as [T4];
      const [stride1] = refOf(ctx).poolForward(A, { ...hp, stride: 1 }, mode) as [T4];
      return [unstridedWindows(ctx.tf, stride1, out.shape), [A, hp]];
    },
  },
  {
    id: 'stride-ignored',
    variant: (ctx) => {
      const [A, hp, mode] = poolArgs(ctx);
      return [(refOf(ctx).poolForward(A, { ...hp, stride: 1 }, mode) as [T4])[0], [A, hp]];
    },
  },
  {
    id: 'pooled-across-channels',
    variant: (ctx) => {
      const { tf } = ctx;
      const [A, hp, mode] = poolArgs(ctx);
      const [out] = refOf(ctx).poolForward(A, hp, mode) as [T4];
      const across = mode === 'max' ? tf.max(out, 3, true) : tf.mean(out, 3, true);
      return [tf.tile(across, [1, 1, 1, out.shape[3]]), [A, hp]];
    },
  },
];

const convBackwardMistakes: MistakeDefinition[] = [
  {
    id: 'dW-db-from-last-example',
    variant: (ctx) => {
      const { tf } = ctx;
      const [dZ, cache] = ctx.args as [T4, [T4, T4, T4, ConvHp]];
      const [A, W, b, hp] = cache;
      const last = dZ.shape[0] - 1;
      const [dA] = refOf(ctx).convBackward(dZ, cache) as T4[];
      const one = (t: T4) => tf.slice(t, [last, 0, 0, 0], [1, -1, -1, -1]);
      const [, dW, db] = refOf(ctx).convBackward(one(dZ), [one(A), W, b, hp]) as T4[];
      return [dA, dW, db];
    },
  },
  {
    id: 'dA-still-padded',
    variant: (ctx) => {
      const [dZ, cache] = ctx.args as [T4, [T4, T4, T4, ConvHp]];
      const [A, W, b, hp] = cache;
      const padded = refOf(ctx).zeroPad(A, hp.pad) as T4;
      return refOf(ctx).convBackward(dZ, [padded, W, b, { ...hp, pad: 0 }]);
    },
  },
];

const createMaskMistakes: MistakeDefinition[] = [
  {
    id: 'min-instead-of-max',
    variant: ({ tf, ref, args: [x] }) => (ref as unknown as Ref).createMaskFromWindow(tf.neg(x as T4)),
  },
  {
    id: 'numbers-not-booleans',
    variant: ({ tf, ref, args: [x] }) => tf.cast((ref as unknown as Ref).createMaskFromWindow(x) as T4, 'float32'),
  },
];

const distributeValueMistakes: MistakeDefinition[] = [
  {
    id: 'not-divided',
    variant: ({ tf, args: [dz, shape] }) => tf.fill(shape as [number, number], dz as number),
  },
  {
    id: 'divided-by-one-side',
    variant: ({ tf, args: [dz, shape] }) => tf.fill(shape as [number, number], (dz as number) / (shape as number[])[0]),
  },
];

const poolBackwardMistakes: MistakeDefinition[] = [
  {
    id: 'last-example-only',
    variant: (ctx) => poolBackwardOneExample(ctx, 'last'),
  },
  {
    id: 'first-example-only',
    variant: (ctx) => poolBackwardOneExample(ctx, 'first'),
  },
  {
    id: 'mask-window-not-strided',
    variant: (ctx) => {
      const [dA, cache, mode] = ctx.args as [T4, [T4, PoolHp], ('max' | 'average')?];
      const [APrev, { f, stride }] = cache;
      if ((mode ?? 'max') !== 'max' || stride === 1) return undefined;
      // The mask is taken at (h, w) but added at (h * stride, w * stride).
      const a = APrev.bufferSync();
      const grad = dA.bufferSync();
      const out = ctx.tf.buffer<tfType.Rank.R4>(APrev.shape);
      const [m, nH, nW, nC] = dA.shape;
      for (let i = 0; i < m; i++)
        for (let h = 0; h < nH; h++)
          for (let w = 0; w < nW; w++)
            for (let c = 0; c < nC; c++) {
              let best = [0, 0];
              for (let kh = 0; kh < f; kh++) for (let kw = 0; kw < f; kw++) if (a.get(i, h + kh, w + kw, c) > a.get(i, h + best[0], w + best[1], c)) best = [kh, kw];
              const [row, col] = [h * stride + best[0], w * stride + best[1]];
              out.set(out.get(i, row, col, c) + grad.get(i, h, w, c), i, row, col, c);
            }
      return out.toTensor();
    },
  },
  {
    id: 'mask-not-scaled',
    variant: (ctx) => {
      const [dA, cache, mode] = ctx.args as [T4, unknown, ('max' | 'average')?];
      return (mode ?? 'max') === 'max' ? refOf(ctx).poolBackward(ctx.tf.onesLike(dA), cache, 'max') : undefined;
    },
  },
  {
    id: 'average-not-divided',
    variant: (ctx) => {
      const [dA, cache, mode] = ctx.args as [T4, [T4, PoolHp], ('max' | 'average')?];
      if (mode !== 'average') return undefined;
      const f = cache[1].f;
      return ctx.tf.mul(refOf(ctx).poolBackward(dA, cache, 'average') as T4, f * f);
    },
  },
  {
    id: 'mode-swapped',
    variant: (ctx) => {
      const [dA, cache, mode] = ctx.args as [T4, unknown, ('max' | 'average')?];
      return refOf(ctx).poolBackward(dA, cache, (mode ?? 'max') === 'max' ? 'average' : 'max');
    },
  },
];

export const convStepByStep: LabDefinition = {
  id: 'conv-step-by-step',
  title: 'Convolution model - Step by Step',
  file: 'conv-step-by-step.ts',
  points: 50,
  solution: 'solutions/conv-step-by-step.ts',
  // float32 arithmetic in a different order (loops vs. whole-tensor ops) stays well inside this.
  tolerance: { rtol: 1e-5, atol: 1e-5 },
  timeouts: { exerciseMs: 30_000, labMs: 180_000 },
  exercises: [
    {
      id: 'zeroPad',
      title: 'Zero padding',
      points: 6,
      graded: true,
      outputNames: ['X_pad'],
      mistakes: zeroPadMistakes,
    },
    {
      id: 'convSingleStep',
      title: 'Single step of convolution',
      points: 6,
      graded: true,
      outputNames: ['Z'],
      mistakes: convSingleStepMistakes,
    },
    {
      id: 'convForward',
      title: 'Convolutional layer, forward pass',
      points: 12,
      graded: true,
      outputNames: ['Z', 'cache'],
      mistakes: convForwardMistakes,
    },
    {
      id: 'poolForward',
      title: 'Pooling layer, forward pass',
      points: 10,
      graded: true,
      outputNames: ['A', 'cache'],
      mistakes: poolForwardMistakes,
    },
    {
      id: 'convBackward',
      title: 'Convolutional layer, backward pass (optional)',
      points: 6,
      graded: false,
      outputNames: ['dA_prev', 'dW', 'db'],
      mistakes: convBackwardMistakes,
    },
    {
      id: 'createMaskFromWindow',
      title: 'Max-pool mask (optional)',
      points: 3,
      graded: false,
      outputNames: ['mask'],
      mistakes: createMaskMistakes,
    },
    {
      id: 'distributeValue',
      title: 'Distribute a value (optional)',
      points: 2,
      graded: false,
      outputNames: ['a'],
      mistakes: distributeValueMistakes,
    },
    {
      id: 'poolBackward',
      title: 'Pooling layer, backward pass (optional)',
      points: 5,
      graded: false,
      outputNames: ['dA_prev'],
      mistakes: poolBackwardMistakes,
    },
  ],
};
