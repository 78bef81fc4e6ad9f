/**
 * While labgrade trains, a convolution with a bias and no activation (tfjs-layers' Conv2D as
 * ResNet50 uses it: tf.fused.conv2d) gets gradients that tfjs's fused op does not give it:
 * - On WebGPU its filter and bias gradients come from one kernel, FILTER_BIAS_GRADIENT (one shader,
 *   webgpu/filter-gradient.ts), where tfjs's fused conv2d runs Conv2DBackpropFilter and then a Sum
 *   and a Reshape for the bias: a ResNet50 step runs 53 shaders and 106 kernels less.
 * - Elsewhere (wasm, cpu) each input's gradient is computed only where the tape asks for it
 *   (CONV2D_BIAS, whose registered gradient is one function an input): tfjs's fused op computes
 *   the input gradient of every convolution, the first one's too, whose input is the images
 *   (ResNet50's 7×7 stem: 6% of a step on wasm).
 * The forward kernel (FusedConv2D) and the gradient kernels are tfjs's or the backend's; the
 * gradients are the same sums (on WebGPU added in another order).
 *
 * tfjs-layers looks the op up in tfjs-core's `fused` namespace object at each call, so it is
 * replaced there until the returned function puts tfjs's back. Anything else (inference, an
 * activation or PReLU inside the convolution, NCHW, dilations, no bias, on WebGPU the tiled
 * filter gradient's flag off) goes to tfjs's op.
 */
import type * as tfType from '@tensorflow/tfjs';
import { FILTER_BIAS_GRADIENT, tiledFilterGradientOn } from '../webgpu/filter-gradient.js';
import { hasKernel } from '../kernel-names.js';

type Tf = typeof tfType;
type FusedConv2d = typeof tfType.fused.conv2d;
type FusedConv2dArgs = Parameters<FusedConv2d>[0];

/** The convolution with a bias whose gradient is one function an input (wasm, cpu). */
export const CONV2D_BIAS = 'LabgradeConv2DBias';

/** Backends CONV2D_BIAS runs on: their own FusedConv2D does the forward pass. */
const LAZY_GRADIENT_BACKENDS = ['wasm', 'cpu'];

/** Marks labgrade's op, so a second call (a training inside a training) leaves it be. */
const LABGRADE = Symbol('labgrade fused conv2d');

interface RecordingEngine {
  state: { gradientDepth: number };
}

/** Puts labgrade's conv2d in tfjs-core's `fused` namespace until the returned function puts tfjs's back. */
export function useLabgradeConv2dWithBias(tf: Tf): () => void {
  const fused = tf.fused as { conv2d: FusedConv2d & { [LABGRADE]?: true } };
  const stock = fused.conv2d;
  if (stock[LABGRADE]) return () => undefined;
  // An op as tfjs's: tf.profile lists it by name (labgradeFusedConv2d__op) as it lists fusedConv2d__op.
  const labgradeConv2d = tf.op({ labgradeFusedConv2d: (args: FusedConv2dArgs) => withFilterBiasGradientKernel(tf, args) });
  const lazyGradientConv2d = tf.op({ labgradeConv2dBias: (args: FusedConv2dArgs) => withLazyGradients(tf, args) });
  const conv2d = ((args: FusedConv2dArgs) => {
    if (!takesLabgradeOp(tf, args)) return stock(args);
    if (hasKernel(tf, FILTER_BIAS_GRADIENT)) return tiledFilterGradientOn(tf) ? labgradeConv2d(args) : stock(args);
    return LAZY_GRADIENT_BACKENDS.includes(tf.getBackend()) ? lazyGradientConv2d(args) : stock(args);
  }) as FusedConv2d;
  fused.conv2d = Object.assign(conv2d, { [LABGRADE]: true as const });
  return () => {
    fused.conv2d = stock;
  };
}

const isFloat32Tensor = (tf: Tf, t: unknown, rank: number): t is tfType.Tensor => t instanceof tf.Tensor && t.rank === rank && t.dtype === 'float32';

/** Whether one of labgrade's ops may compute this call: while a gradient is recorded, a convolution with a bias and nothing after it. */
function takesLabgradeOp(tf: Tf, args: FusedConv2dArgs): boolean {
  const { x, filter, bias, activation, preluActivationWeights, dataFormat, dilations } = args;
  return (
    (tf.engine() as unknown as RecordingEngine).state.gradientDepth > 0 &&
    (activation == null || activation === 'linear') &&
    preluActivationWeights == null &&
    (dataFormat ?? 'NHWC') === 'NHWC' &&
    [dilations ?? 1].flat().every((d) => d === 1) &&
    isFloat32Tensor(tf, x, 4) &&
    x.size > 0 &&
    isFloat32Tensor(tf, filter, 4) &&
    // Anything tfjs's op would refuse goes to it, for its error message.
    (args.dimRoundingMode == null || typeof args.pad === 'number') &&
    filter.shape[2] === x.shape[3] &&
    isFloat32Tensor(tf, bias, 1) &&
    bias.shape[0] === filter.shape[3]
  );
}

/** The convolution as tfjs's fused op computes it, with the filter and bias gradients from one kernel. */
function withFilterBiasGradientKernel(tf: Tf, { x, filter, bias, strides, pad, dimRoundingMode }: FusedConv2dArgs): tfType.Tensor4D {
  const engine = tf.engine();
  const attrs = { strides, pad, dataFormat: 'NHWC', dimRoundingMode };
  const op = tf.customGrad((...args: (tfType.Tensor | tfType.GradSaveFunc)[]) => {
    const [input, weights, offset] = args as tfType.Tensor[];
    (args[3] as tfType.GradSaveFunc)([input, weights]);
    const value = engine.runKernel('FusedConv2D', { x: input, filter: weights, bias: offset }, { ...attrs, dilations: [1, 1], activation: 'linear' } as unknown as tfType.NamedAttrMap) as tfType.Tensor4D;
    return {
      value,
      gradFunc: (dy: tfType.Tensor, saved: tfType.Tensor[]) => {
        const [xs, w] = saved;
        const dx = engine.runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: xs.shape } as unknown as tfType.NamedAttrMap) as tfType.Tensor;
        const [dW, db] = engine.runKernel(FILTER_BIAS_GRADIENT, { x: xs, dy }, { ...attrs, filterShape: w.shape } as unknown as tfType.NamedAttrMap) as tfType.Tensor[];
        return [dx, dW, db];
      },
    };
  });
  return op(x as tfType.Tensor4D, filter as tfType.Tensor4D, bias as tfType.Tensor1D) as tfType.Tensor4D;
}

type KernelAttrs = tfType.NamedAttrMap;

/** CONV2D_BIAS for the backend in use, and its gradient, registered once each. */
function registerConv2dBias(tf: Tf): void {
  const backendName = tf.getBackend();
  if (!tf.getKernel(CONV2D_BIAS, backendName)) {
    const fused = tf.getKernel('FusedConv2D', backendName);
    if (!fused) throw new Error(`the ${backendName} backend has no FusedConv2D kernel`);
    tf.registerKernel({
      kernelName: CONV2D_BIAS,
      backendName,
      kernelFunc: (args) => fused.kernelFunc({ ...args, attrs: { ...args.attrs, dilations: [1, 1], activation: 'linear' } as unknown as KernelAttrs }),
    });
  }
  if (tf.getGradient(CONV2D_BIAS)) return;
  tf.registerGradient({
    kernelName: CONV2D_BIAS,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dys, saved, attrs) => {
      const dy = dys as tfType.Tensor;
      const [x, filter] = saved;
      const engine = tf.engine();
      const { strides, pad, dimRoundingMode } = attrs as unknown as FusedConv2dArgs;
      const common = { strides, pad, dataFormat: 'NHWC', dimRoundingMode };
      return {
        x: () => engine.runKernel('Conv2DBackpropInput', { dy, filter }, { ...common, inputShape: x.shape } as unknown as KernelAttrs) as tfType.Tensor,
        filter: () => engine.runKernel('Conv2DBackpropFilter', { x, dy }, { ...common, filterShape: filter.shape } as unknown as KernelAttrs) as tfType.Tensor,
        bias: () => tf.sum(dy, [0, 1, 2]),
      };
    },
  });
}

/** The convolution as tfjs's fused op computes it, with each input's gradient computed only where asked for. */
function withLazyGradients(tf: Tf, { x, filter, bias, strides, pad, dimRoundingMode }: FusedConv2dArgs): tfType.Tensor4D {
  registerConv2dBias(tf);
  return tf.engine().runKernel(CONV2D_BIAS, { x, filter, bias } as tfType.NamedTensorMap, { strides, pad, dataFormat: 'NHWC', dimRoundingMode } as unknown as KernelAttrs) as tfType.Tensor4D;
}
