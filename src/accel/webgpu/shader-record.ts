/**
 * The shaders the WebGPU backend runs (calls of its runWebGPUProgram: a kernel can run several, or
 * none), by shader key, for the benchmarks' shader counts and the tests that check which shader ran.
 */
import type * as tfType from '@tensorflow/tfjs';

interface RecordableBackend {
  runWebGPUProgram?: (program: { shaderKey: string }, ...rest: unknown[]) => unknown;
}

/** Records the shader keys the backend in use runs until stop(), which returns them (null off WebGPU). */
export function recordShaders(tf: typeof tfType): { stop(): string[] | null } {
  const backend = tf.backend() as unknown as RecordableBackend;
  const original = backend.runWebGPUProgram;
  if (tf.getBackend() !== 'webgpu' || typeof original !== 'function') return { stop: () => null };
  const keys: string[] = [];
  backend.runWebGPUProgram = function recorded(this: unknown, program, ...rest) {
    keys.push(program.shaderKey);
    return original.call(this, program, ...rest);
  };
  return {
    stop() {
      backend.runWebGPUProgram = original;
      return keys;
    },
  };
}
