/**
 * Kernels labgrade's WebGPU training calls in place of chains of tfjs ops. On WebGPU a ResNet50
 * step's time goes to tfjs dispatching kernels (about 0.15 ms each on an H100, against 189 ms of
 * GPU work in an 810 ms step: docs/bench/gpu.md), so the fewer kernels, the faster; each kernel
 * here does the arithmetic of the ops it replaces.
 *
 * AddFlatSlice (x, flat; offset): x + flat[offset .. offset + size(x)), shaped as x. The fused
 * Adam adds each variable's part of its one flat step with it: one kernel a variable instead of
 * slice, reshape and add (ResNet50: 214 variables).
 */
import type * as tfType from '@tensorflow/tfjs';
import { requirePackage } from '../require-package.js';

type Tf = typeof tfType;

export const ADD_FLAT_SLICE = 'LabgradeAddFlatSlice';

/** The parts of tfjs-backend-webgpu's program interface these kernels use (webgpu_program.ts). */
interface WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  workgroupSize: [number, number, number];
  size?: boolean;
  uniforms?: string;
  getUserCode(): string;
}

interface WebGPUBackend {
  runWebGPUProgram(program: WebGPUProgram, inputs: tfType.TensorInfo[], outputDtype: tfType.DataType, programUniforms?: { type: 'int32' | 'float32'; data: number[] }[]): tfType.TensorInfo;
}

interface WebgpuUtil {
  flatDispatchLayout(shape: number[]): { x: number[] };
  computeDispatch(layout: { x: number[] }, outputShape: number[], workgroupSize: [number, number, number]): [number, number, number];
}

const FLAT_WORKGROUP: [number, number, number] = [128, 1, 1];

/** One output value per invocation, in order; `body` sets the value at `index` (after the bounds check). */
function elementwiseProgram(util: WebgpuUtil, key: string, outputShape: number[], variableNames: string[], uniforms: string, body: string): WebGPUProgram {
  const dispatchLayout = util.flatDispatchLayout(outputShape);
  return {
    outputShape,
    shaderKey: key,
    dispatchLayout,
    dispatch: util.computeDispatch(dispatchLayout, outputShape, FLAT_WORKGROUP),
    variableNames,
    workgroupSize: FLAT_WORKGROUP,
    size: true,
    uniforms,
    // tfjs-backend-webgpu supplies main(), setOutputAtIndex and the uniforms struct.
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`,
  };
}

let registered = false;

/** Registers the kernels for the webgpu backend, once per process (tfjs-backend-webgpu must be loaded). */
export function registerWebgpuTrainingKernels(tf: Tf): void {
  if (registered) return;
  const util = (requirePackage('@tensorflow/tfjs-backend-webgpu') as { webgpu_util: WebgpuUtil }).webgpu_util;
  tf.registerKernel({
    kernelName: ADD_FLAT_SLICE,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, flat } = inputs as { x: tfType.TensorInfo; flat: tfType.TensorInfo };
      const offset = (attrs as { offset: number }).offset;
      const size = x.shape.reduce((a, b) => a * b, 1);
      if (x.dtype !== 'float32' || flat.dtype !== 'float32' || !Number.isInteger(offset) || offset < 0 || offset + size > flat.shape.reduce((a, b) => a * b, 1)) {
        throw new Error(`${ADD_FLAT_SLICE}: ${size} float32 values from offset ${offset} do not fit in the flat input`);
      }
      const program = elementwiseProgram(util, 'labgrade_add_flat_slice', x.shape, ['X', 'Flat'], 'offset : i32,', 'setOutputAtIndex(index, X[index] + Flat[index + uniforms.offset]);');
      return (backend as unknown as WebGPUBackend).runWebGPUProgram(program, [x, flat], 'float32', [{ type: 'int32', data: [offset] }]);
    },
  });
  registered = true;
}
