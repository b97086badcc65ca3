import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MicroError } from '../../../src/mesh/errors.ts';
import { FrameReader, type FrameSink, FrameTypes, FrameWriter } from '../../../bench/lib/raw-frames.ts';

interface Frame {
  type: number;
  flags: number;
  streamId: number;
  header: string;
  body: string;
}

function collector(): FrameSink & { frames: Frame[] } {
  const frames: Frame[] = [];
  return {
    frames,
    onFrame(type, flags, streamId, buf, headerStart, bodyStart, end) {
      frames.push({ type, flags, streamId, header: buf.toString('latin1', headerStart, bodyStart), body: buf.toString('utf8', bodyStart, end) });
    },
  };
}

function output(): { destroyed: boolean; chunks: Buffer[]; write(chunk: Buffer): boolean } {
  const chunks: Buffer[] = [];
  return { destroyed: false, chunks, write: (chunk) => chunks.push(Buffer.from(chunk)) > 0 };
}

const nextTick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

describe('raw-tcp frames', () => {
  it('FrameWriter — batches every frame written in one tick into one write', async () => {
    const out = output();
    const writer = new FrameWriter(out);
    writer.write(FrameTypes.REQUEST, 0, 1, Buffer.from('Echo.Echo'), '{"a":1}');
    writer.write(FrameTypes.RESPONSE, 2, 2, undefined, '"é"');
    writer.write(FrameTypes.ERROR, 0, 0xffff_ffff, undefined, '');
    assert.equal(out.chunks.length, 0, 'nothing is written before the tick ends');
    await nextTick();
    assert.equal(out.chunks.length, 1);
    const first = out.chunks[0];
    assert.equal(first.readUInt32BE(0), 8 + 9 + 7, 'length counts every byte after itself');
    assert.equal(first[4], FrameTypes.REQUEST);
    assert.equal(first.readUInt32BE(6), 1);
    assert.equal(first.readUInt16BE(10), 9);
  });

  it('FrameReader — decodes what FrameWriter wrote, whatever the chunking', async () => {
    const out = output();
    const writer = new FrameWriter(out, { slabBytes: 64 });
    const big = 'ü'.repeat(5000);
    writer.write(FrameTypes.REQUEST, 0, 7, Buffer.from('Echo.Echo'), '{"a":1}');
    writer.write(FrameTypes.RESPONSE, 3, 8, undefined, big);
    writer.write(FrameTypes.ERROR, 0, 9, undefined, '');
    await nextTick();
    const bytes = Buffer.concat(out.chunks);
    const expected: Frame[] = [
      { type: FrameTypes.REQUEST, flags: 0, streamId: 7, header: 'Echo.Echo', body: '{"a":1}' },
      { type: FrameTypes.RESPONSE, flags: 3, streamId: 8, header: '', body: big },
      { type: FrameTypes.ERROR, flags: 0, streamId: 9, header: '', body: '' },
    ];
    for (const size of [1, 3, 13, 4096, bytes.length]) {
      const sink = collector();
      const reader = new FrameReader(sink);
      for (let at = 0; at < bytes.length; at += size) reader.push(bytes.subarray(at, at + size));
      assert.deepEqual(sink.frames, expected, `chunks of ${size} bytes`);
    }
  });

  it('FrameReader — a frame over the limit fails with FRAME_TOO_LARGE', () => {
    const reader = new FrameReader(collector(), { maxFrameBytes: 100 });
    const head = Buffer.alloc(12);
    head.writeUInt32BE(101, 0);
    assert.throws(() => reader.push(head), (err: MicroError) => err instanceof MicroError && err.reason === 'FRAME_TOO_LARGE');
  });

  it('FrameReader — a length too short for the prefix, or a header past the frame, is FRAME_GARBLED', () => {
    const short = Buffer.alloc(12);
    short.writeUInt32BE(3, 0);
    assert.throws(() => new FrameReader(collector()).push(short), (err: MicroError) => err.reason === 'FRAME_GARBLED');
    const overrun = Buffer.alloc(12);
    overrun.writeUInt32BE(8, 0);
    overrun.writeUInt16BE(1, 10);
    assert.throws(() => new FrameReader(collector()).push(overrun), (err: MicroError) => err.reason === 'FRAME_GARBLED');
  });
});
