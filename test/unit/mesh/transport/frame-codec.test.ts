import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MicroError } from '../../../../src/mesh/errors.ts';
import {
  checkFrame,
  encodeFrame,
  encodeFrames,
  FrameDecoder,
  isFrameType,
} from '../../../../src/mesh/transport/frame-codec.ts';
import { type Frame, FrameType } from '../../../../src/mesh/transport/transport.ts';

const frame = (streamId: number, body: string, header = ''): Frame => ({
  type: FrameType.REQUEST,
  flags: 0x81,
  streamId,
  header: Buffer.from(header),
  body: Buffer.from(body),
});

function decodeAll(decoder: FrameDecoder, ...chunks: Uint8Array[]): { frames: Frame[]; error?: MicroError } {
  const frames: Frame[] = [];
  let error: MicroError | undefined;
  for (const chunk of chunks) error = decoder.push(chunk, (f) => frames.push(f)) ?? error;
  return { frames, error };
}

/** A frame head with a chosen length, type and header length (no payload). */
function head(length: number, type: number, headerLength = 0): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt32BE(length, 0);
  out[4] = type;
  out.writeUInt16BE(headerLength, 10);
  return out;
}

describe('frame codec', () => {
  test('frame codec — encodes the documented big-endian layout', () => {
    const bytes = encodeFrame({ type: FrameType.PUBLISH, flags: 3, streamId: 0x01020304, header: Buffer.from('h'), body: Buffer.from('bo') });
    assert.deepEqual([...bytes], [0, 0, 0, 11, 13, 3, 1, 2, 3, 4, 0, 1, 0x68, 0x62, 0x6f]);
  });

  test('frame codec — encodeFrames equals the concatenation of encodeFrame', () => {
    const frames = [frame(1, 'a'), frame(2, '', 'hdr'), frame(0xffffffff, 'x'.repeat(1000), 'y')];
    assert.deepEqual(encodeFrames(frames), Buffer.concat(frames.map(encodeFrame)));
  });

  test('frame codec — a frame inside one chunk decodes as a view into that chunk (zero copy)', () => {
    const chunk = encodeFrames([frame(1, 'hello', 'h1'), frame(2, 'world')]);
    const { frames, error } = decodeAll(new FrameDecoder(), chunk);
    assert.equal(error, undefined);
    assert.equal(frames.length, 2);
    assert.equal(frames[0].body.buffer, chunk.buffer, 'body shares the chunk memory');
    assert.equal(frames[0].header.buffer, chunk.buffer, 'header shares the chunk memory');
    assert.equal(Buffer.from(frames[0].body).toString(), 'hello');
    assert.equal(Buffer.from(frames[0].header).toString(), 'h1');
    assert.equal(frames[1].streamId, 2);
    assert.equal(frames[1].flags, 0x81);
    assert.equal(frames[1].header.length, 0);
  });

  test('frame codec — a frame split byte by byte reassembles', () => {
    const bytes = encodeFrame(frame(77, 'split me', 'hd'));
    const decoder = new FrameDecoder();
    const chunks = [...bytes].map((b) => Uint8Array.of(b));
    const { frames, error } = decodeAll(decoder, ...chunks);
    assert.equal(error, undefined);
    assert.equal(frames.length, 1);
    assert.equal(Buffer.from(frames[0].body).toString(), 'split me');
    assert.equal(decoder.bufferedBytes, 0);
  });

  test('frame codec — plain Uint8Array chunks decode like Buffers', () => {
    const bytes = new Uint8Array(encodeFrame(frame(5, 'u8')));
    const { frames } = decodeAll(new FrameDecoder(), bytes);
    assert.equal(Buffer.from(frames[0].body).toString(), 'u8');
  });

  test('frame codec — a length over the limit fails from the prefix alone, before anything is buffered', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 1000 });
    const { error } = decodeAll(decoder, Uint8Array.of(0xff, 0xff, 0xff, 0xff));
    assert.equal(error?.reason, 'FRAME_TOO_LARGE');
    assert.match(error?.message ?? '', /4294967295 bytes is over the limit of 1000/);
    assert.equal(decoder.bufferedBytes, 0);
  });

  test('frame codec — a length over the limit split across chunks fails as soon as the prefix is complete', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 1000 });
    assert.equal(decoder.push(Uint8Array.of(0, 0), () => {}), undefined);
    assert.equal(decoder.push(Uint8Array.of(0x03, 0xe9), () => {})?.reason, 'FRAME_TOO_LARGE');
  });

  test('frame codec — the limit is inclusive', () => {
    const ok = encodeFrame(frame(1, 'x'.repeat(92)));
    assert.equal(decodeAll(new FrameDecoder({ maxFrameBytes: 100 }), ok).frames.length, 1);
    const over = encodeFrame(frame(1, 'x'.repeat(93)));
    assert.equal(decodeAll(new FrameDecoder({ maxFrameBytes: 100 }), over).error?.reason, 'FRAME_TOO_LARGE');
  });

  test('frame codec — an unknown type is a PROTOCOL_ERROR', () => {
    for (const type of [0, 15, 63, 64, 255]) {
      const { error, frames } = decodeAll(new FrameDecoder(), head(8, type));
      assert.equal(error?.reason, 'PROTOCOL_ERROR', `type ${type}`);
      assert.equal(frames.length, 0);
    }
  });

  test('frame codec — a header length past the frame is FRAME_GARBLED', () => {
    assert.equal(decodeAll(new FrameDecoder(), head(10, FrameType.REQUEST, 3)).error?.reason, 'FRAME_GARBLED');
  });

  test('frame codec — a length below the fixed part is FRAME_GARBLED', () => {
    assert.equal(decodeAll(new FrameDecoder(), Uint8Array.of(0, 0, 0, 7)).error?.reason, 'FRAME_GARBLED');
  });

  test('frame codec — frames before the bad one are delivered, and the decoder stays failed', () => {
    const decoder = new FrameDecoder();
    const { frames, error } = decodeAll(decoder, Buffer.concat([encodeFrame(frame(1, 'ok')), head(8, 99)]));
    assert.equal(frames.length, 1);
    assert.equal(error?.reason, 'PROTOCOL_ERROR');
    const after = decodeAll(decoder, encodeFrame(frame(2, 'ignored')));
    assert.equal(after.frames.length, 0);
    assert.equal(after.error, error);
    assert.equal(decoder.error, error);
  });

  test('frame codec — checkFrame names what is wrong with an outgoing frame', () => {
    assert.equal(checkFrame(frame(1, 'x'.repeat(100)), 100)?.reason, 'PAYLOAD_TOO_LARGE');
    assert.equal(checkFrame({ ...frame(1, ''), header: new Uint8Array(70_000) }, 1 << 20)?.reason, 'PAYLOAD_TOO_LARGE');
    assert.equal(checkFrame({ ...frame(1, ''), type: 99 as FrameType }, 100)?.reason, 'BAD_REQUEST');
    assert.equal(checkFrame({ ...frame(1, ''), flags: 256 }, 100)?.reason, 'BAD_REQUEST');
    assert.equal(checkFrame(frame(-1, ''), 100)?.reason, 'BAD_REQUEST');
    assert.equal(checkFrame(frame(2 ** 32, ''), 100)?.reason, 'BAD_REQUEST');
    assert.equal(checkFrame(frame(2 ** 32 - 1, 'x'.repeat(92)), 100), undefined);
  });

  test('frame codec — isFrameType accepts exactly the FrameType values', () => {
    const known = new Set<number>(Object.values(FrameType));
    for (let v = -2; v < 300; v++) assert.equal(isFrameType(v), known.has(v), String(v));
    assert.equal(isFrameType(10.5), false);
  });
});
