/**
 * The uniform cache's bookkeeping against a stand-in for tfjs-backend-webgpu's makeUniforms (which
 * takes a pooled buffer, writes it and queues it for the pool); test/backends/webgpu.test.ts runs
 * it on the real backend.
 */
import * as tf from '@tensorflow/tfjs';
import { cacheUniforms, UNIFORM_CACHE_FLAG } from '../../../src/accel/webgpu/uniform-cache.js';

function standIn() {
  const written: { id: number; uniforms: string }[] = [];
  const backend = {
    uniformPendingDisposal: [] as unknown[],
    makeUniforms(uniforms: { type: string; data: number[] }[]) {
      const buffer = { id: written.length };
      written.push({ id: buffer.id, uniforms: JSON.stringify(uniforms) });
      this.uniformPendingDisposal.push(buffer);
      return { offset: 0, size: 16, buffer };
    },
  };
  return { backend, written };
}

const u = (...values: number[]) => [{ type: 'float32', data: [NaN] }, { type: 'int32', data: values }];

describe('cacheUniforms', () => {
  test('writes a buffer once per content and binds it again, keeping it from the pool; −0 and 0, and int and float, are different contents', () => {
    const { backend, written } = standIn();
    expect(cacheUniforms(tf, backend)).toBe(true);
    const first = backend.makeUniforms(u(1, 2));
    expect(backend.uniformPendingDisposal).toEqual([]);
    expect(backend.makeUniforms(u(1, 2))).toBe(first);
    backend.makeUniforms([{ type: 'float32', data: [0] }]);
    backend.makeUniforms([{ type: 'float32', data: [-0] }]);
    backend.makeUniforms([{ type: 'int32', data: [0] }]);
    backend.makeUniforms([{ type: 'float32', data: [0] }]);
    expect(written.length).toBe(4);
  });

  test('past its capacity every cached buffer goes back to the pool with the next submit, and the cache starts again', () => {
    const { backend, written } = standIn();
    cacheUniforms(tf, backend, 2);
    const a = backend.makeUniforms(u(1));
    const b = backend.makeUniforms(u(2));
    backend.makeUniforms(u(3));
    expect(backend.uniformPendingDisposal).toEqual([a.buffer, b.buffer]);
    backend.makeUniforms(u(3));
    backend.makeUniforms(u(1));
    expect(written.length).toBe(4);
  });

  test('with its flag off tfjs writes each time; starting the backend again keeps one cache; a backend without the internals is left alone', () => {
    const { backend, written } = standIn();
    cacheUniforms(tf, backend);
    const caching = backend.makeUniforms;
    expect(cacheUniforms(tf, backend)).toBe(true);
    expect(backend.makeUniforms).toBe(caching);
    tf.env().set(UNIFORM_CACHE_FLAG, false);
    try {
      backend.makeUniforms(u(5));
      backend.makeUniforms(u(5));
      expect(backend.uniformPendingDisposal.length).toBe(2);
    } finally {
      tf.env().set(UNIFORM_CACHE_FLAG, true);
    }
    backend.makeUniforms(u(5));
    backend.makeUniforms(u(5));
    expect(written.length).toBe(3);
    const other = { makeUniforms: () => ({ offset: 0, size: 4, buffer: {} }) };
    expect(cacheUniforms(tf, other)).toBe(false);
    expect(cacheUniforms(tf, {})).toBe(false);
  });

  test('a buffer that tfjs did not queue last is handed on uncached', () => {
    const backend = {
      uniformPendingDisposal: [] as unknown[],
      makeUniforms(_uniforms: { type: string; data: number[] }[]) {
        this.uniformPendingDisposal.push({ other: true });
        return { offset: 0, size: 4, buffer: {} };
      },
    };
    cacheUniforms(tf, backend);
    const first = backend.makeUniforms(u(1));
    expect(backend.makeUniforms(u(1))).not.toBe(first);
    expect(backend.uniformPendingDisposal.length).toBe(2);
  });
});
