/**
 * The plumbing labgrade's WebGPU kernels share: the parts of tfjs-backend-webgpu's program
 * interface they use, running a program (one output, or several written by one shader), and the
 * checks of their inputs.
 */
import type * as tfType from '@tensorflow/tfjs';

/** The parts of tfjs-backend-webgpu's program interface these kernels use (webgpu_program.ts). */
export interface WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  workgroupSize: [number, number, number];
  size?: boolean;
  uniforms?: string;
  getUserCode(): string;
}

interface ShaderModuleDescriptor {
  code: string;
}

export interface WebGPUBackend {
  runWebGPUProgram(
    program: WebGPUProgram,
    inputs: tfType.TensorInfo[],
    outputDtype: tfType.DataType,
    programUniforms?: { type: 'int32' | 'float32'; data: number[] }[],
    output?: tfType.TensorInfo,
  ): tfType.TensorInfo;
  makeTensorInfo(shape: number[], dtype: tfType.DataType, values?: Float32Array): tfType.TensorInfo;
  disposeData(dataId: tfType.DataId): boolean;
  device: { limits: { maxStorageBuffersPerShaderStage: number }; createShaderModule(descriptor: ShaderModuleDescriptor): unknown };
}

/** What registration needs from @tensorflow/tfjs-backend-webgpu (the caller has loaded it). */
export interface WebgpuPackage {
  webgpu_util: WebgpuUtil;
}

export interface WebgpuUtil {
  flatDispatchLayout(shape: number[]): { x: number[] };
  computeDispatch(layout: { x: number[] }, outputShape: number[], workgroupSize: [number, number, number]): [number, number, number];
}

const FLAT_WORKGROUP: [number, number, number] = [128, 1, 1];

/** One invocation an index of `outputShape`, in order; `body` runs at `index` (after the bounds check). */
export function elementwiseProgram(util: WebgpuUtil, key: string, outputShape: number[], variableNames: string[], uniforms: string, body: string): WebGPUProgram {
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

export type Uniforms = { type: 'int32' | 'float32'; data: number[] }[];

/** Runs `program` on the backend a kernel was given, with a float32 output. */
export function run(backend: unknown, program: WebGPUProgram, inputs: tfType.TensorInfo[], uniforms: Uniforms = []): tfType.TensorInfo {
  return (backend as WebGPUBackend).runWebGPUProgram(program, inputs, 'float32', uniforms);
}

/**
 * Runs `program` writing all of `outputs` (float32) in one shader: the first through tfjs's
 * `result`, the others through the variables named after the inputs' in program.variableNames.
 * tfjs-backend-webgpu declares every variable but `result` read-only; the program is compiled
 * (once: tfjs caches the pipeline by shader key, which holds the variable names) with those
 * declarations made read_write. If it throws, `outputs` are disposed.
 */
export function runWritingOutputs(backend: unknown, program: WebGPUProgram, inputs: tfType.TensorInfo[], outputs: tfType.TensorInfo[], uniforms: Uniforms = []): tfType.TensorInfo[] {
  const gpu = backend as WebGPUBackend;
  return disposedOnFailure(gpu, outputs, () => {
    const written = program.variableNames.slice(inputs.length);
    if (written.length !== outputs.length - 1) throw new Error(`${program.shaderKey}: ${outputs.length} outputs need ${outputs.length - 1} variable names after the inputs'`);
    // tfjs skips a program whose `result` is empty, and an empty tensor has no buffer to bind.
    if (outputs.some((output) => sizeOf(output) === 0)) throw new Error(`${program.shaderKey}: an empty output cannot be written by a shader`);
    const device = gpu.device;
    const own = Object.getOwnPropertyDescriptor(device, 'createShaderModule');
    const compile = device.createShaderModule;
    device.createShaderModule = (descriptor) => compile.call(device, { ...descriptor, code: declareWritable(descriptor.code, written) });
    try {
      gpu.runWebGPUProgram(program, [...inputs, ...outputs.slice(1)], 'float32', uniforms, outputs[0]);
    } finally {
      if (own) Object.defineProperty(device, 'createShaderModule', own);
      else delete (device as Partial<WebGPUBackend['device']>).createShaderModule;
    }
    return outputs;
  });
}

/**
 * `write`'s result; if it throws, `outputs` (made by the kernel, written by `write`) are disposed
 * first: the engine never sees them, so they would stay allocated. Disposing one twice is harmless
 * (the backend ignores a dataId it no longer has).
 */
export function disposedOnFailure<T>(gpu: WebGPUBackend, outputs: tfType.TensorInfo[], write: () => T): T {
  try {
    return write();
  } catch (err) {
    for (const output of outputs) gpu.disposeData(output.dataId);
    throw err;
  }
}

/** `code` with the storage variables `names` declared read_write instead of read. */
function declareWritable(code: string, names: string[]): string {
  return names.reduce((source, name) => {
    const declaration = `var<storage, read> ${name}:`;
    if (source.split(declaration).length !== 2) throw new Error(`tfjs-backend-webgpu did not declare ${name} as labgrade expects ("${declaration}"): its shader cannot write it`);
    return source.replace(declaration, `var<storage, read_write> ${name}:`);
  }, code);
}


export function sizeOf(t: { shape: number[] }): number {
  return t.shape.reduce((a, b) => a * b, 1);
}

export function checkFloat32(name: string, inputs: Record<string, tfType.TensorInfo>): void {
  for (const [input, t] of Object.entries(inputs)) {
    if (t.dtype !== 'float32') throw new Error(`${name}: ${input} must be float32, not ${t.dtype}`);
  }
}

/** Gradient kernels read dy and x at the same index. */
export function checkSameShape(name: string, dy: tfType.TensorInfo, x: tfType.TensorInfo): void {
  if (dy.shape.join() !== x.shape.join()) throw new Error(`${name}: dy has shape [${dy.shape}], x [${x.shape}]`);
}

