/**
 * While labgrade trains on WebGPU, a convolution with a bias and no activation (tfjs-layers'
 * Conv2D as ResNet50 uses it: tf.fused.conv2d) gets its filter and bias gradients from one kernel,
 * FILTER_BIAS_GRADIENT (one shader, webgpu/filter-gradient.ts), where tfjs's fused conv2d runs
 * Conv2DBackpropFilter and then a Sum and a Reshape for the bias: a ResNet50 step runs 53 shaders
 * and 106 kernels less. The forward kernel (FusedConv2D) and the input gradient
 * (Conv2DBackpropInput) are tfjs's, as its op runs them; the gradients are the same sums, added
 * in another order.
 *
 * tfjs-layers looks the op up in tfjs-core's `fused` namespace object at each call, so it is
 * replaced there until the returned function puts tfjs's back. Anything else (other backends,
 * inference, an activation or PReLU inside the convolution, NCHW, dilations, no bias, the tiled
 * filter gradient's flag off) goes to tfjs's op.
 */
import type * as tfType from '@tensorflow/tfjs';
import { FILTER_BIAS_GRADIENT, tiledFilterGradientOn } from '../webgpu/filter-gradient.js';
import { hasKernel } from '../webgpu/program.js';

type Tf = typeof tfType;
type FusedConv2d = typeof tfType.fused.conv2d;
type FusedConv2dArgs = Parameters<FusedConv2d>[0];

/** Marks labgrade's op, so a second call (a training inside a training) leaves it be. */
const LABGRADE = Symbol('labgrade fused conv2d');

interface RecordingEngine {
  state: { gradientDepth: number };
}

/** Puts labgrade's conv2d in tfjs-core's `fused` namespace until the returned function puts tfjs's back. */
export function useFilterBiasGradientKernel(tf: Tf): () => void {
  const fused = tf.fused as { conv2d: FusedConv2d & { [LABGRADE]?: true } };
  const stock = fused.conv2d;
  if (stock[LABGRADE]) return () => undefined;
  // An op as tfjs's: tf.profile lists it by name (labgradeFusedConv2d__op) as it lists fusedConv2d__op.
  const labgradeConv2d = tf.op({ labgradeFusedConv2d: (args: FusedConv2dArgs) => withFilterBiasGradientKernel(tf, args) });
  const conv2d = ((args: FusedConv2dArgs) => (takesKernel(tf, args) ? labgradeConv2d(args) : stock(args))) as FusedConv2d;
  fused.conv2d = Object.assign(conv2d, { [LABGRADE]: true as const });
  return () => {
    fused.conv2d = stock;
  };
}

const isFloat32Tensor = (tf: Tf, t: unknown, rank: number): t is tfType.Tensor => t instanceof tf.Tensor && t.rank === rank && t.dtype === 'float32';

/** Whether labgrade's op computes this call: while a gradient is recorded, on a backend with the kernel. */
function takesKernel(tf: Tf, args: FusedConv2dArgs): boolean {
  const { x, filter, bias, activation, preluActivationWeights, dataFormat, dilations } = args;
  return (
    (tf.engine() as unknown as RecordingEngine).state.gradientDepth > 0 &&
    hasKernel(tf, FILTER_BIAS_GRADIENT) &&
    tiledFilterGradientOn(tf) &&
    (activation == null || activation === 'linear') &&
    preluActivationWeights == null &&
    (dataFormat ?? 'NHWC') === 'NHWC' &&
    [dilations ?? 1].flat().every((d) => d === 1) &&
    isFloat32Tensor(tf, x, 4) &&
    x.size > 0 &&
    isFloat32Tensor(tf, filter, 4) &&
    // Anything tfjs's op would refuse goes to it, for its error message.
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
