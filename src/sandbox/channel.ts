/**
 * The protocol's wire: length-prefixed frames of V8-serialized messages over a pipe of labgrade's
 * own (fd 3 of a sandboxed process), instead of Node's IPC channel. Node's channel throws in the
 * grading process on a malformed frame ("Unable to deserialize cloned data") and its handle is
 * reachable from code in the child; here every frame is bounded and parsed inside a try, so what a
 * child writes can end only that child's session.
 */
import type { MessageRef } from '../contract/result.js';
import { msg } from '../i18n/message-ref.js';
import { deserialize, serialize } from 'node:v8';

/** The descriptor the child reads and writes frames on. */
export const CHANNEL_FD = 3;

const HEADER_BYTES = 4;

/** One message as a frame: its length (4 bytes, big-endian), then the serialized message. */
export function encodeFrame(message: unknown): Buffer {
  const body = serialize(message);
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32BE(body.length);
  return Buffer.concat([header, body]);
}

/**
 * Splits a byte stream into messages. A frame longer than `maxFrameBytes`, or one that does not
 * deserialize, is reported once through `onProblem` and nothing is read after it.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private failed = false;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly onMessage: (message: unknown) => void,
    private readonly onProblem: (reason: MessageRef) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.failed) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (!this.failed && this.buffered >= HEADER_BYTES) {
      const head = this.peek(HEADER_BYTES);
      const length = head.readUInt32BE(0);
      if (length > this.maxFrameBytes) return this.fail(msg('session.message-too-large', { bytes: String(length), max: String(this.maxFrameBytes) }));
      if (this.buffered < HEADER_BYTES + length) return;
      const frame = this.take(HEADER_BYTES + length).subarray(HEADER_BYTES);
      let message: unknown;
      try {
        message = deserialize(frame);
      } catch {
        return this.fail(msg('session.unreadable-message'));
      }
      this.onMessage(message);
    }
  }

  private fail(reason: MessageRef): void {
    this.failed = true;
    this.chunks = [];
    this.buffered = 0;
    this.onProblem(reason);
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0].subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const taken = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return taken;
  }
}
