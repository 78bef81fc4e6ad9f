/**
 * The protocol's wire: frames split and joined any way still give the same messages, and a frame
 * that is too large or does not deserialize is reported once, never thrown, never half-read.
 */
import { describe, expect, test } from '@jest/globals';
import { encodeFrame, FrameReader } from '../../src/sandbox/channel.js';
import { english } from '../../src/i18n/messages.js';

function reader(max = 1 << 20) {
  const messages: unknown[] = [];
  const problems: string[] = [];
  return { messages, problems, frames: new FrameReader(max, (m) => messages.push(m), (p) => problems.push(english(p))) };
}

describe('FrameReader', () => {
  test('messages arrive whole however the bytes are split or joined', () => {
    const sent = [{ type: 'ready', n: 1 }, { type: 'result', id: 2, value: new Float32Array([1, 2, 3]) }, 'x'.repeat(100_000)];
    const bytes = Buffer.concat(sent.map(encodeFrame));
    for (const size of [1, 3, 7, 4096, bytes.length]) {
      const r = reader();
      for (let i = 0; i < bytes.length; i += size) r.frames.push(bytes.subarray(i, i + size));
      expect([size, r.messages, r.problems]).toEqual([size, sent, []]);
    }
  });

  test('a frame that does not deserialize is one problem, and nothing after it is read', () => {
    const r = reader();
    r.frames.push(Buffer.from([0, 0, 0, 16, 0xff, 0x0f, 0x6f, 0x22, 0x7f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
    r.frames.push(encodeFrame({ type: 'result', id: 1, value: 1 }));
    expect(r.problems).toEqual(['sent a message that could not be read']);
    expect(r.messages).toEqual([]);
  });

  test('a frame larger than the cap is refused from its header, before its bytes arrive', () => {
    const r = reader(1024);
    r.frames.push(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    expect(r.problems).toEqual(['sent a message of 4294967295 bytes (at most 1024 are read)']);
    r.frames.push(Buffer.alloc(10_000));
    expect(r.problems).toHaveLength(1);
  });
});
