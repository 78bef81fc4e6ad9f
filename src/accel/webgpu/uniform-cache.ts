/**
 * tfjs-backend-webgpu gives every shader it runs a uniform buffer of its own (shapes, strides,
 * sizes, the program's parameters): taken from its buffer pool, written with queue.writeBuffer,
 * and back to the pool at the next submit. A training step repeats the same few uniform contents
 * (ResNet50: 165 distinct contents in 525 shaders a step, counted before the one-shader batch
 * normalization), so here each content keeps a buffer of its own, written once and bound as often
 * as it recurs: no pool round trip and no write a shader.
 * Over lavapipe that is ~10 µs of a shader's ~125 µs of CPU (docs/bench/gpu.md; the device script
 * compares with the flag off); on a discrete GPU a write also stages its data for the copy.
 *
 * The buffers are tfjs's, taken from its pool and never given back while cached, so nothing else
 * writes them; past `capacity` contents all go back to the pool (after the next submit, as tfjs
 * releases its own) and the cache starts again. A backend without the internals this relies on
 * (makeUniforms, uniformPendingDisposal: tfjs-backend-webgpu 4.x) is left as it is.
 */
import type * as tfType from '@tensorflow/tfjs';

/** A tfjs environment flag: set false, tfjs writes a uniform buffer a shader again. */
export const UNIFORM_CACHE_FLAG = 'LABGRADE_WEBGPU_UNIFORM_CACHE';

type ProgramUniform = { type: string; data: number[] }[];
interface UniformBinding {
  buffer: unknown;
  offset: number;
  size: number;
}
interface UniformWritingBackend {
  makeUniforms?: ((uniforms: ProgramUniform) => UniformBinding) & { [CACHING]?: true };
  uniformPendingDisposal?: unknown[];
}

/** Marks the caching makeUniforms, so that starting the backend again keeps one cache. */
const CACHING = Symbol('labgrade uniform cache');

/** The uniforms' types and values, −0 told from 0 (tfjs writes the float's sign). */
function contentKey(uniforms: ProgramUniform): string {
  let key = '';
  for (const { type, data } of uniforms) {
    key += type;
    for (const v of data) key += v === 0 && 1 / v < 0 ? ',-0' : `,${v}`;
    key += ';';
  }
  return key;
}

/** Makes the webgpu `backend` keep a uniform buffer per content (at most `capacity`); false where it cannot. */
export function cacheUniforms(tf: typeof tfType, backend: unknown, capacity = 4096): boolean {
  // Registered either way: the benchmarks set it.
  tf.env().registerFlag(UNIFORM_CACHE_FLAG, () => true);
  const gpu = backend as UniformWritingBackend;
  const write = gpu.makeUniforms;
  if (typeof write !== 'function' || !Array.isArray(gpu.uniformPendingDisposal)) return false;
  if (write[CACHING]) return true;
  const cache = new Map<string, UniformBinding>();
  const cachedUniforms = function cachedUniforms(this: UniformWritingBackend, uniforms: ProgramUniform) {
    if (!tf.env().getBool(UNIFORM_CACHE_FLAG)) return write.call(this, uniforms);
    const key = contentKey(uniforms);
    const cached = cache.get(key);
    if (cached) return cached;
    const binding = write.call(this, uniforms);
    const pending = this.uniformPendingDisposal!;
    // tfjs has just queued the buffer for its pool: kept instead, unless it is not where expected.
    if (pending[pending.length - 1] !== binding.buffer) return binding;
    pending.pop();
    if (cache.size >= capacity) {
      for (const old of cache.values()) pending.push(old.buffer);
      cache.clear();
    }
    cache.set(key, binding);
    return binding;
  };
  gpu.makeUniforms = Object.assign(cachedUniforms, { [CACHING]: true as const });
  return true;
}
