/**
 * A convolution's filter gradient on WebGPU as a tiled matrix product, in place of
 * tfjs-backend-webgpu's Conv2DBackpropFilter shader while labgrade trains
 * (src/accel/training/webgpu-kernel-swaps.ts); and, as the kernel FILTER_BIAS_GRADIENT, with the bias
 * gradient from the same shader (src/accel/training/conv-bias-gradient.ts).
 *
 * Why: tfjs's shader gives each filter value one invocation, which loops alone over every
 * batch row and output position of dy (ResNet50's 7×7 stem: 9,408 invocations of 32,768 steps
 * each, two memory reads a step): most of a step's GPU time on an H100
 * (docs/bench/webgpu-kernels.md), where the arithmetic itself is a few milliseconds' worth.
 *
 * What: dW[i, j, c, k] = Σ_{n,p,q} x[n, p·s + i − top, q·s + j − left, c] · dy[n, p, q, k], seen as
 * the product of A [rows = kh·kw·inChannels, n·outH·outW] (x's values each filter row meets,
 * zero in the padding) and dy [n·outH·outW, outChannels]; its rows, in order, are the filter's
 * [kh, kw, inChannels] positions, so the product is dW as laid out. A workgroup of 16×16
 * invocations computes a 32×32 tile of dW, each invocation 2×2 values, and walks the sum in
 * steps of 32, both operands' tiles staged in workgroup memory: each value read from memory
 * serves 32 products instead of one. Still one shader a gradient, as tfjs's.
 *
 * The bias gradient, db[k] = Σ_{n,p,q} dy[n, p, q, k], is a sum over the same dy tiles: the
 * workgroups of the first row of tiles also add up the dy tile they staged, each invocation 4 of
 * its 1,024 values a step, and add their 8 partial sums a column at the end. A convolution with a
 * bias then trains with one shader for both gradients where tfjs runs two (its Sum after the
 * filter gradient; ResNet50 has 53 such convolutions).
 *
 * TILED_FILTER_GRADIENT_FLAG off runs tfjs's shader instead (the device script compares the two).
 */
import type * as tfType from '@tensorflow/tfjs';
import { run, runWritingOutputs, type WebGPUBackend, type WebGPUProgram } from './program.js';
import type { FilterGradientAttrs } from '../wasm/conv-gradients.js';

type Tf = typeof tfType;

/** A tfjs environment flag: set false, the kernel runs tfjs's shader (the GPU device script compares the two). */
export const TILED_FILTER_GRADIENT_FLAG = 'LABGRADE_WEBGPU_TILED_FILTER_GRADIENT';

let flagRegistered = false;
const registerFlag = (tf: Tf) => {
  if (!flagRegistered) tf.env().registerFlag(TILED_FILTER_GRADIENT_FLAG, () => true);
  flagRegistered = true;
};

/** Whether labgrade's tiled shader is on (TILED_FILTER_GRADIENT_FLAG: on unless set false). */
export function tiledFilterGradientOn(tf: Tf): boolean {
  registerFlag(tf);
  return tf.env().getBool(TILED_FILTER_GRADIENT_FLAG);
}

/**
 * The kernel (webgpu) for a convolution's filter and bias gradients from one shader: inputs x and
 * dy, Conv2DBackpropFilter's attributes; outputs [dW, db]. NHWC float32 only: the caller takes
 * tfjs's kernels for anything else.
 */
export const FILTER_BIAS_GRADIENT = 'LabgradeConv2DBackpropFilterBias';

const TILE = 32;
const STEP = 32;
const INVOCATIONS = 256;

/**
 * Workgroup memory for both tiles, [step][tile] each; x's values are gathered through the padding.
 * With the bias, invocation `lane` adds column lane % 32 of the staged dy tile, rows lane / 32 and
 * every 8th after, and the first 32 invocations add the 8 partial sums of their column into DBias.
 * The barrier before that runs in every workgroup (WGSL allows barriers in uniform control flow only).
 */
const filterGradientCode = (withBias: boolean) => `
      var<workgroup> tileA : array<f32, ${STEP * TILE}>;
      var<workgroup> tileDy : array<f32, ${STEP * TILE}>;
      ${withBias ? `var<workgroup> biasPartial : array<f32, ${INVOCATIONS}>;` : ''}

      // Row m of A is the filter position (i, j, c); column t the output position (n, p, q).
      fn aAt(m : i32, t : i32) -> f32 {
        let inChannels = uniforms.xShape[3];
        if (m >= uniforms.rows || t >= uniforms.sumLength) { return 0.0; }
        let c = m % inChannels;
        let position = m / inChannels;
        let i = position / uniforms.filterWidth;
        let j = position % uniforms.filterWidth;
        let q = t % uniforms.dyShape[2];
        let np = t / uniforms.dyShape[2];
        let p = np % uniforms.dyShape[1];
        let n = np / uniforms.dyShape[1];
        let row = p * uniforms.strides.x + i - uniforms.pads.x;
        let column = q * uniforms.strides.y + j - uniforms.pads.y;
        if (row < 0 || row >= uniforms.xShape[1] || column < 0 || column >= uniforms.xShape[2]) { return 0.0; }
        return X[((n * uniforms.xShape[1] + row) * uniforms.xShape[2] + column) * inChannels + c];
      }

      fn store(m : i32, k : i32, value : f32) {
        if (m < uniforms.rows && k < uniforms.dyShape[3]) { result[m * uniforms.dyShape[3] + k] = value; }
      }

      fn main() {
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let lane = ty * 16 + tx;
        let outChannels = uniforms.dyShape[3];
        let firstRow = i32(workgroupId.y) * ${TILE};
        let firstColumn = i32(workgroupId.x) * ${TILE};
        var sum00 = 0.0; var sum01 = 0.0; var sum10 = 0.0; var sum11 = 0.0;
        ${withBias ? `let addsBias = workgroupId.y == 0u;
        var biasSum = 0.0;` : ''}
        for (var start = 0; start < uniforms.sumLength; start = start + ${STEP}) {
          for (var e = lane; e < ${STEP * TILE}; e = e + ${INVOCATIONS}) {
            let s = e / ${TILE};
            let within = e % ${TILE};
            tileA[e] = aAt(firstRow + within, start + s);
            let k = firstColumn + within;
            let t = start + s;
            var dyValue = 0.0;
            if (k < outChannels && t < uniforms.sumLength) { dyValue = Dy[t * outChannels + k]; }
            tileDy[e] = dyValue;
          }
          workgroupBarrier();
          ${withBias ? `if (addsBias) {
            for (var s = lane / ${TILE}; s < ${STEP}; s = s + ${INVOCATIONS / TILE}) { biasSum = biasSum + tileDy[s * ${TILE} + lane % ${TILE}]; }
          }` : ''}
          for (var s = 0; s < ${STEP}; s = s + 1) {
            let a0 = tileA[s * ${TILE} + ty];
            let a1 = tileA[s * ${TILE} + ty + 16];
            let b0 = tileDy[s * ${TILE} + tx];
            let b1 = tileDy[s * ${TILE} + tx + 16];
            sum00 = fma(a0, b0, sum00); sum01 = fma(a0, b1, sum01);
            sum10 = fma(a1, b0, sum10); sum11 = fma(a1, b1, sum11);
          }
          workgroupBarrier();
        }
        let m = firstRow + ty;
        let k = firstColumn + tx;
        store(m, k, sum00);
        store(m, k + 16, sum01);
        store(m + 16, k, sum10);
        store(m + 16, k + 16, sum11);
        ${withBias ? `biasPartial[lane] = biasSum;
        workgroupBarrier();
        if (addsBias && lane < ${TILE}) {
          var total = 0.0;
          for (var part = lane; part < ${INVOCATIONS}; part = part + ${TILE}) { total = total + biasPartial[part]; }
          let column = firstColumn + lane;
          if (column < outChannels) { DBias[column] = total; }
        }` : ''}
      }`;

/** The tiled program for dW (with the bias, db too) of x and dy, and its uniforms; checks the shapes. */
function filterGradientProgram(x: tfType.TensorInfo, dy: tfType.TensorInfo, attrs: FilterGradientAttrs, withBias: boolean, tf: Tf) {
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const [filterHeight, filterWidth, inChannels, outChannels] = attrs.filterShape;
  const dyShape = [info.batchSize, info.outHeight, info.outWidth, outChannels];
  const name = withBias ? FILTER_BIAS_GRADIENT : 'Conv2DBackpropFilter';
  if (x.shape[3] !== inChannels) throw new Error(`${name}: x has ${x.shape[3]} channels, the filter [${attrs.filterShape}] ${inChannels}`);
  if (dy.shape.join() !== dyShape.join()) throw new Error(`${name}: dy has shape [${dy.shape}], the convolution's output [${dyShape}]`);
  const rows = filterHeight * filterWidth * inChannels;
  const program: WebGPUProgram = {
    outputShape: attrs.filterShape,
    shaderKey: withBias ? 'labgrade_filter_bias_gradient' : 'labgrade_filter_gradient',
    dispatchLayout: { x: [3], y: [0, 1, 2] },
    dispatch: [Math.ceil(outChannels / TILE), Math.ceil(rows / TILE), 1],
    variableNames: withBias ? ['X', 'Dy', 'DBias'] : ['X', 'Dy'],
    workgroupSize: [16, 16, 1],
    uniforms: 'pads : vec2<i32>, strides : vec2<i32>, filterWidth : i32, rows : i32, sumLength : i32,',
    getUserCode: () => filterGradientCode(withBias),
  };
  const uniforms = [
    { type: 'int32' as const, data: [info.padInfo.top, info.padInfo.left] },
    { type: 'int32' as const, data: [info.strideHeight, info.strideWidth] },
    { type: 'int32' as const, data: [filterWidth] },
    { type: 'int32' as const, data: [rows] },
    { type: 'int32' as const, data: [info.batchSize * info.outHeight * info.outWidth] },
  ];
  return { program, uniforms, outChannels };
}

const isTiledCase = (x: tfType.TensorInfo, dy: tfType.TensorInfo, attrs: FilterGradientAttrs) => (attrs.dataFormat ?? 'NHWC') === 'NHWC' && x.dtype === 'float32' && dy.dtype === 'float32';

/**
 * The kernel function for Conv2DBackpropFilter on webgpu: the tiled product for NHWC float32
 * (what tfjs-layers trains with), `stock` (tfjs's) for anything else or with the flag off.
 */
export function tiledFilterGradient(tf: Tf, stock: tfType.KernelFunc): tfType.KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as Record<'x' | 'dy', tfType.TensorInfo>;
    const attrs = args.attrs as unknown as FilterGradientAttrs;
    if (!tiledFilterGradientOn(tf) || !isTiledCase(x, dy, attrs)) return stock(args);
    const { program, uniforms } = filterGradientProgram(x, dy, attrs, false, tf);
    return run(args.backend, program, [x, dy], uniforms);
  };
}

/**
 * Registers FILTER_BIAS_GRADIENT for webgpu (the caller has loaded tfjs-backend-webgpu), and the
 * flag, so that it can be set before training starts.
 */
export function registerFilterBiasGradient(tf: Tf): void {
  registerFlag(tf);
  if (tf.getKernel(FILTER_BIAS_GRADIENT, 'webgpu')) return;
  tf.registerKernel({
    kernelName: FILTER_BIAS_GRADIENT,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, dy } = inputs as Record<'x' | 'dy', tfType.TensorInfo>;
      const gradientAttrs = attrs as unknown as FilterGradientAttrs;
      if (!isTiledCase(x, dy, gradientAttrs)) throw new Error(`${FILTER_BIAS_GRADIENT}: NHWC float32 only, not ${gradientAttrs.dataFormat} with x ${x.dtype} and dy ${dy.dtype}`);
      const { program, uniforms, outChannels } = filterGradientProgram(x, dy, gradientAttrs, true, tf);
      const gpu = backend as unknown as WebGPUBackend;
      return runWritingOutputs(backend, program, [x, dy], [gpu.makeTensorInfo(gradientAttrs.filterShape, 'float32'), gpu.makeTensorInfo([outChannels], 'float32')], uniforms);
    },
  });
}
