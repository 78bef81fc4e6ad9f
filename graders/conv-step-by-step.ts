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
    message: 'You padded all four axes. Pad only the height and width axes: ((0, 0), (pad, pad), (pad, pad), (0, 0)).',
    variant: ({ tf, args: [X, pad] }) => tf.pad(X as T4, Array(4).fill([pad, pad]) as [number, number][]),
  },
  {
    id: 'one-side-only',
    message: 'You padded only one side of each image. Each of the height and width axes needs `pad` zeros before and after: (pad, pad).',
    variant: ({ tf, args: [X, pad] }) => tf.pad(X as T4, [[0, 0], [0, pad as number], [0, pad as number], [0, 0]]),
  },
];

const convSingleStepMistakes: MistakeDefinition[] = [
  {
    id: 'bias-multiplied',
    message: 'You multiplied by the bias instead of adding it. Z = sum(a_slice_prev * W) + b.',
    variant: ({ tf, args: [a, W, b] }) => tf.sum(tf.mul(a as T4, W as T4)).mul(tf.sum(b as T4)).dataSync()[0],
  },
  {
    id: 'bias-missing',
    message: 'You left out the bias. Z = sum(a_slice_prev * W) + b.',
    variant: ({ tf, args: [a, W] }) => tf.sum(tf.mul(a as T4, W as T4)).dataSync()[0],
  },
  {
    id: 'mean-instead-of-sum',
    message: 'You averaged the products instead of summing them. Z = sum(a_slice_prev * W) + b.',
    variant: ({ tf, args: [a, W, b] }) => tf.mean(tf.mul(a as T4, W as T4)).add(tf.sum(b as T4)).dataSync()[0],
  },
];

const convForwardMistakes: MistakeDefinition[] = [
  {
    id: 'bias-multiplied',
    message: 'Z is the weighted sum times the bias: add the bias instead (check convSingleStep: sum(a_slice_prev * W) + b).',
    variant: (ctx) => convForwardWith(ctx, (tf, Z, [, , b]) => tf.mul(tf.sub(Z, b), b)),
  },
  {
    id: 'bias-missing',
    message: 'Z lacks the bias b[:, :, :, c]: each output value is sum(a_slice_prev * W[:, :, :, c]) + b[:, :, :, c].',
    variant: (ctx) => convForwardWith(ctx, (tf, Z, [, , b]) => tf.sub(Z, b)),
  },
  {
    id: 'window-not-strided',
    message: 'The window does not move by the stride: its corners are vert_start = h * stride and horiz_start = w * stride.',
    variant: (ctx) =>
      convForwardWith(ctx, (tf, Z, [A, W, b, hp]) => unstridedWindows(tf, (refOf(ctx).convForward(A, W, b, { ...hp, stride: 1 }) as [T4])[0], Z.shape)),
  },
  {
    id: 'stride-ignored',
    message: 'The stride is ignored (the output is what stride 1 gives). Read it from hparameters and use it for both the output size and the window corners.',
    variant: (ctx) => convForwardWith(ctx, (_tf, _Z, [A, W, b, hp]) => (refOf(ctx).convForward(A, W, b, { ...hp, stride: 1 }) as [T4])[0]),
  },
  {
    id: 'pad-ignored',
    message: 'The padding is ignored (the output is what pad 0 gives). Pad A_prev with zeroPad(A_prev, pad) before sliding the window.',
    variant: (ctx) => convForwardWith(ctx, (_tf, _Z, [A, W, b, hp]) => (refOf(ctx).convForward(A, W, b, { ...hp, pad: 0 }) as [T4])[0]),
  },
];

const poolForwardMistakes: MistakeDefinition[] = [
  {
    id: 'mode-swapped',
    message: 'The result is the other pooling mode: "max" takes the maximum of each window, "average" its mean.',
    variant: (ctx) => {
      const [A, hp, mode] = poolArgs(ctx);
      return refOf(ctx).poolForward(A, hp, mode === 'max' ? 'average' : 'max');
    },
  },
  {
    id: 'window-not-strided',
    message: 'The window does not move by the stride: its corners are vert_start = h * stride and horiz_start = w * stride.',
    variant: (ctx) => {
      const [A, hp, mode] = poolArgs(ctx);
      const [out] = refOf(ctx).poolForward(A, hp, mode) as [T4];
      const [stride1] = refOf(ctx).poolForward(A, { ...hp, stride: 1 }, mode) as [T4];
      return [unstridedWindows(ctx.tf, stride1, out.shape), [A, hp]];
    },
  },
  {
    id: 'stride-ignored',
    message: 'The stride is ignored (the output is what stride 1 gives). Read it from hparameters for both the output size and the window corners.',
    variant: (ctx) => {
      const [A, hp, mode] = poolArgs(ctx);
      return [(refOf(ctx).poolForward(A, { ...hp, stride: 1 }, mode) as [T4])[0], [A, hp]];
    },
  },
  {
    id: 'pooled-across-channels',
    message: 'Each window is pooled across all channels at once. Slice one channel: A_prev[i, vert_start:vert_end, horiz_start:horiz_end, c].',
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
    message: 'dW and db hold only the last example\'s contribution. Accumulate them with += over every example (do not reset them inside the loop over i).',
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
    message: 'dA_prev still has the padding: remove `pad` rows and columns from each side of da_prev_pad (with a slice that also works when pad = 0).',
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
    message: 'The mask marks the minimum; it should be true where x equals its maximum.',
    variant: ({ tf, ref, args: [x] }) => (ref as unknown as Ref).createMaskFromWindow(tf.neg(x as T4)),
  },
  {
    id: 'numbers-not-booleans',
    message: 'The mask holds numbers (0/1), not booleans. tf.equal(x, tf.max(x)) returns a bool tensor.',
    variant: ({ tf, ref, args: [x] }) => tf.cast((ref as unknown as Ref).createMaskFromWindow(x) as T4, 'float32'),
  },
];

const distributeValueMistakes: MistakeDefinition[] = [
  {
    id: 'not-divided',
    message: 'dz is copied into every entry instead of being shared: each entry is dz / (n_H * n_W).',
    variant: ({ tf, args: [dz, shape] }) => tf.fill(shape as [number, number], dz as number),
  },
  {
    id: 'divided-by-one-side',
    message: 'dz is divided by one side only: each entry is dz / (n_H * n_W).',
    variant: ({ tf, args: [dz, shape] }) => tf.fill(shape as [number, number], (dz as number) / (shape as number[])[0]),
  },
];

const poolBackwardMistakes: MistakeDefinition[] = [
  {
    id: 'last-example-only',
    message: 'Only the last example gets a gradient: the loop over the training examples (for i in range(m)) is missing.',
    variant: (ctx) => poolBackwardOneExample(ctx, 'last'),
  },
  {
    id: 'first-example-only',
    message: 'Only the first example gets a gradient: the loop over the training examples (for i in range(m)) is missing.',
    variant: (ctx) => poolBackwardOneExample(ctx, 'first'),
  },
  {
    id: 'mask-window-not-strided',
    message: 'In max mode the mask comes from the wrong window: take it from A_prev[i, h * stride : h * stride + f, w * stride : w * stride + f, c], the window the gradient goes to.',
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
    message: 'In max mode the mask is added without being multiplied by dA[i, h, w, c].',
    variant: (ctx) => {
      const [dA, cache, mode] = ctx.args as [T4, unknown, ('max' | 'average')?];
      return (mode ?? 'max') === 'max' ? refOf(ctx).poolBackward(ctx.tf.onesLike(dA), cache, 'max') : undefined;
    },
  },
  {
    id: 'average-not-divided',
    message: 'In average mode each window gets dA[i, h, w, c] in full; it should get distributeValue(dA[i, h, w, c], [f, f]) (divided by f * f).',
    variant: (ctx) => {
      const [dA, cache, mode] = ctx.args as [T4, [T4, PoolHp], ('max' | 'average')?];
      if (mode !== 'average') return undefined;
      const f = cache[1].f;
      return ctx.tf.mul(refOf(ctx).poolBackward(dA, cache, 'average') as T4, f * f);
    },
  },
  {
    id: 'mode-swapped',
    message: 'The gradient is the other mode\'s: "max" routes dA to the maximum of each window, "average" spreads it evenly.',
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
      hint: 'Pad only the height and width axes (1 and 2), with `pad` zeros on each side; the example and channel axes get no padding.',
      mistakes: zeroPadMistakes,
    },
    {
      id: 'convSingleStep',
      title: 'Single step of convolution',
      points: 6,
      graded: true,
      outputNames: ['Z'],
      hint: 'Z = sum(a_slice_prev * W) + b, returned as a number (e.g. with .dataSync()[0]).',
      mistakes: convSingleStepMistakes,
    },
    {
      id: 'convForward',
      title: 'Convolutional layer, forward pass',
      points: 12,
      graded: true,
      outputNames: ['Z', 'cache'],
      hint: "Don't hard code the pad and stride values: read them from hparameters. n_H = floor((n_H_prev - f + 2 * pad) / stride) + 1.",
      mistakes: convForwardMistakes,
    },
    {
      id: 'poolForward',
      title: 'Pooling layer, forward pass',
      points: 10,
      graded: true,
      outputNames: ['A', 'cache'],
      hint: 'Read f and stride from hparameters; the window for output (h, w) starts at (h * stride, w * stride) and covers one channel.',
      mistakes: poolForwardMistakes,
    },
    {
      id: 'convBackward',
      title: 'Convolutional layer, backward pass (optional)',
      points: 6,
      graded: false,
      outputNames: ['dA_prev', 'dW', 'db'],
      hint: 'Sum over every example, h, w and channel; then cut the padding off da_prev_pad with a slice that also works for pad = 0.',
      mistakes: convBackwardMistakes,
    },
    {
      id: 'createMaskFromWindow',
      title: 'Max-pool mask (optional)',
      points: 3,
      graded: false,
      outputNames: ['mask'],
      hint: 'mask = (x == max(x)): tf.equal(x, tf.max(x)) returns a bool tensor.',
      mistakes: createMaskMistakes,
    },
    {
      id: 'distributeValue',
      title: 'Distribute a value (optional)',
      points: 2,
      graded: false,
      outputNames: ['a'],
      hint: 'Every entry of the (n_H, n_W) matrix is dz / (n_H * n_W).',
      mistakes: distributeValueMistakes,
    },
    {
      id: 'poolBackward',
      title: 'Pooling layer, backward pass (optional)',
      points: 5,
      graded: false,
      outputNames: ['dA_prev'],
      hint: 'Loop over every example, h, w and channel: max mode adds mask * dA[i, h, w, c]; average mode adds distributeValue(dA[i, h, w, c], [f, f]).',
      mistakes: poolBackwardMistakes,
    },
  ],
};
