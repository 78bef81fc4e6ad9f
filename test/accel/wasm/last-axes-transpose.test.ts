/**
 * While labgrade trains (useLastAxesTranspose), wasm's Transpose of the last two axes of large
 * float32 tensors gives wasm's own values bit for bit (NaN and infinities included, sides that are
 * no multiple of the tile); every other transpose is wasm's own, and wasm's own comes back after.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from '@jest/globals';
import { activateBackend } from '../../../src/backends/choice.js';
import { useLastAxesTranspose } from '../../../src/accel/wasm/last-axes-transpose.js';

/** Values with a NaN, both infinities and −0 among them. */
function values(size: number): Float32Array {
  const v = Float32Array.from({ length: size }, (_, i) => Math.sin(i * 12.9898) * 43758.5453);
  v.set([NaN, Infinity, -Infinity, -0], Math.floor(size / 3));
  return v;
}

/** `perm` of a tensor of `shape`, with wasm's own Transpose and with labgrade's installed: the bytes of each. */
async function bothWays(shape: number[], perm: number[]): Promise<{ stock: Uint8Array; labgrade: Uint8Array }> {
  await activateBackend(tf, 'wasm', 'train');
  const x = tf.tensor(values(tf.util.sizeFromShape(shape)), shape);
  const bytes = (t: tf.Tensor) => new Uint8Array((t.dataSync() as Float32Array).slice().buffer);
  const stock = bytes(tf.transpose(x, perm));
  const restore = useLastAxesTranspose(tf);
  try {
    return { stock, labgrade: bytes(tf.transpose(x, perm)) };
  } finally {
    restore();
  }
}

describe("wasm's Transpose of the last two axes while labgrade trains", () => {
  test.each([
    ['a 1×1 filter', [512, 256], [1, 0]],
    ['a 3×3 filter with its channels swapped, sides no multiple of the tile', [3, 3, 160, 200], [0, 1, 3, 2]],
    ['a batch of tall matrices', [2, 1000, 130], [0, 2, 1]],
    // Left to wasm's own: the tiled copy would put these values elsewhere.
    ['another permutation', [4, 130, 140, 3], [3, 1, 2, 0]],
    ['a permutation that also moves a leading axis', [3, 140, 150], [1, 2, 0]],
    ['sides under the tiled copy\'s least', [100, 300], [1, 0]],
  ])("gives wasm's bits for %s", async (_, shape, perm) => {
    const { stock, labgrade } = await bothWays(shape, perm);
    expect(Buffer.compare(Buffer.from(labgrade), Buffer.from(stock))).toBe(0);
  });

  test("leaves int32 to wasm's own, and puts wasm's own back", async () => {
    await activateBackend(tf, 'wasm', 'train');
    const stockKernel = tf.getKernel('Transpose', 'wasm')!.kernelFunc;
    const restore = useLastAxesTranspose(tf);
    try {
      // A second install (a training inside a training) leaves the first in place.
      useLastAxesTranspose(tf)();
      expect(tf.getKernel('Transpose', 'wasm')!.kernelFunc).not.toBe(stockKernel);
      const ints = tf.transpose(tf.range(0, 256 * 300, 1, 'int32').reshape([256, 300]));
      expect(ints.dtype).toBe('int32');
      expect(Array.from(ints.dataSync().slice(0, 3))).toEqual([0, 300, 600]);
    } finally {
      restore();
    }
    expect(tf.getKernel('Transpose', 'wasm')!.kernelFunc).toBe(stockKernel);
  });
});
