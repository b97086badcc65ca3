import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { encodeFrame, FrameDecoder, PARTIAL_FLOOR_BYTES } from '../../../../src/mesh/transport/frame-codec.ts';
import { FrameType } from '../../../../src/mesh/transport/transport.ts';
import { pattern } from '../../../conformance/transport.ts';

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap plus ArrayBuffer memory after a full collection: what the process really holds. */
function heldMemory(): number {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

const MIB = 1024 * 1024;
/** A frame declaring 1 MiB of body (so 1 MiB + 12 bytes on the wire), under the default 4 MiB limit. */
const BIG = encodeFrame({ type: FrameType.REQUEST, flags: 0, streamId: 9, header: new Uint8Array(0), body: pattern(MIB, 9) });
const TRICKLED = 50_000;

/** One byte of `bytes` at `at` as its own chunk with its own memory, as a socket read gives it. */
function chunkOf(bytes: Buffer, at: number): Buffer {
  const chunk = Buffer.allocUnsafeSlow(1);
  chunk[0] = bytes[at];
  return chunk;
}

describe('frame decoder memory', () => {
  test('frame decoder — 50,000 one-byte chunks of a 1 MiB frame hold at most 2 bytes per byte received', () => {
    const decoder = new FrameDecoder();
    const sink = (): void => assert.fail('no frame is complete yet');
    for (let at = 0; at < TRICKLED; at++) {
      assert.equal(decoder.push(chunkOf(BIG, at), sink), undefined);
      const received = at + 1;
      if (received % 1000 === 0 || received < 20) {
        assert.equal(decoder.bufferedBytes, received);
        const bound = Math.max(PARTIAL_FLOOR_BYTES, 2 * received);
        assert.ok(decoder.allocatedBytes <= bound, `${decoder.allocatedBytes} bytes held for ${received} received`);
      }
    }
    assert.ok(decoder.allocatedBytes <= 100_000, `held ${decoder.allocatedBytes} bytes for 50,000 received`);
  });

  test('frame decoder — process memory grows by under 512 KiB while 50,000 one-byte chunks of a 1 MiB frame arrive', () => {
    const decoder = new FrameDecoder();
    const before = heldMemory();
    for (let at = 0; at < TRICKLED; at++) decoder.push(chunkOf(BIG, at), () => {});
    const grown = heldMemory() - before;
    // One buffer of at most 100,000 bytes; keeping each chunk (what the decoder once did) cost about 200 bytes a byte,
    // 10 MB here.
    assert.ok(grown < 512 * 1024, `grew ${grown} bytes`);
    assert.equal(decoder.bufferedBytes, TRICKLED);
  });

  test('frame decoder — the trickled frame completes intact, and its memory is let go', () => {
    const decoder = new FrameDecoder();
    for (let at = 0; at < 5000; at++) decoder.push(chunkOf(BIG, at), () => {});
    const bodies: Uint8Array[] = [];
    for (let at = 5000; at < BIG.length; at += 64 * 1024) {
      decoder.push(BIG.subarray(at, Math.min(BIG.length, at + 64 * 1024)), (frame) => bodies.push(frame.body));
      assert.ok(decoder.allocatedBytes <= Math.max(PARTIAL_FLOOR_BYTES, 2 * decoder.bufferedBytes));
      assert.ok(decoder.allocatedBytes <= BIG.length, 'never past the declared size');
    }
    assert.equal(bodies.length, 1);
    assert.ok(Buffer.from(bodies[0]).equals(pattern(MIB, 9)));
    assert.equal(decoder.bufferedBytes, 0);
    assert.equal(decoder.allocatedBytes, 0);
  });

  test('frame decoder — a frame whose first bytes just arrived holds the floor, not its declared size', () => {
    const decoder = new FrameDecoder();
    decoder.push(BIG.subarray(0, 12), () => {});
    assert.equal(decoder.allocatedBytes, PARTIAL_FLOOR_BYTES);
    const small = new FrameDecoder();
    const frame = encodeFrame({ type: FrameType.REQUEST, flags: 0, streamId: 1, header: new Uint8Array(0), body: pattern(300, 1) });
    small.push(frame.subarray(0, 100), () => {});
    assert.equal(small.allocatedBytes, frame.length, 'a small frame is gathered in one buffer of its own size');
    const tiny = new FrameDecoder();
    tiny.push(frame.subarray(0, 2), () => {});
    assert.equal(tiny.allocatedBytes, 12, 'before its length is known, only room for the head');
  });
});
