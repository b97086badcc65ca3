import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { encodeFrames, FrameDecoder } from '../../../../src/mesh/transport/frame-codec.ts';
import { type Frame, FrameType } from '../../../../src/mesh/transport/transport.ts';

const RUNS = 10_000;
const TYPED_REASONS = new Set(['FRAME_TOO_LARGE', 'FRAME_GARBLED', 'PROTOCOL_ERROR']);

const frameArb: fc.Arbitrary<Frame> = fc.record({
  type: fc.constantFrom(...Object.values(FrameType)),
  flags: fc.integer({ min: 0, max: 255 }),
  streamId: fc.integer({ min: 0, max: 0xffff_ffff }),
  header: fc.uint8Array({ maxLength: 40 }),
  body: fc.oneof({ weight: 9, arbitrary: fc.uint8Array({ maxLength: 200 }) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 1000, maxLength: 5000 }) }),
});

const cutsArb = fc.array(fc.nat(), { maxLength: 12 });

/** Copies of `bytes` cut at the given points (each chunk its own memory, as from a socket). */
function split(bytes: Uint8Array, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const at of [...points, bytes.length]) {
    chunks.push(Buffer.from(bytes.subarray(from, at)));
    from = at;
  }
  return chunks;
}

interface Outcome {
  frames: Array<{ type: number; flags: number; streamId: number; header: number[]; body: number[] }>;
  error: MicroError | undefined;
}

/** Feeds every chunk and checks, as it goes, that a failed decoder stays failed and yields nothing more. */
function decode(chunks: Uint8Array[], maxFrameBytes: number): Outcome {
  const decoder = new FrameDecoder({ maxFrameBytes });
  const frames: Outcome['frames'] = [];
  let error: MicroError | undefined;
  for (const chunk of chunks) {
    const before = frames.length;
    const result = decoder.push(chunk, (f) =>
      frames.push({ type: f.type, flags: f.flags, streamId: f.streamId, header: [...f.header], body: [...f.body] }),
    );
    if (error !== undefined) {
      assert.equal(result, error, 'a failed decoder returns the same error');
      assert.equal(frames.length, before, 'a failed decoder yields no frames');
    }
    error = result;
  }
  if (error !== undefined) {
    assert.ok(error instanceof MicroError, 'the error is a MicroError');
    assert.ok(TYPED_REASONS.has(error.reason), `typed reason, got ${error.reason}`);
  }
  return { frames, error };
}

const plain = (frames: Frame[]): Outcome['frames'] =>
  frames.map((f) => ({ type: f.type, flags: f.flags, streamId: f.streamId, header: [...f.header], body: [...f.body] }));

/** Bytes that are mostly frame-like: valid frames, with garbage appended or bytes flipped, or pure noise. */
const hostileBytesArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 400 }),
  fc.tuple(fc.array(frameArb, { maxLength: 4 }), fc.uint8Array({ maxLength: 64 })).map(([frames, tail]) =>
    Buffer.concat([encodeFrames(frames), tail]),
  ),
  fc
    .tuple(fc.array(frameArb, { minLength: 1, maxLength: 4 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }))
    .map(([frames, flips]) => {
      const bytes = encodeFrames(frames);
      for (const [at, value] of flips) bytes[at % bytes.length] = value;
      return bytes;
    }),
);

describe('frame decoder properties', () => {
  test('frame decoder — valid frames round-trip through any split', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 8 }), cutsArb, (frames, cuts) => {
        const outcome = decode(split(encodeFrames(frames), cuts), 1 << 20);
        assert.equal(outcome.error, undefined);
        assert.deepEqual(outcome.frames, plain(frames));
      }),
      { numRuns: RUNS },
    );
  });

  test('frame decoder — arbitrary bytes yield only frames and at most one typed error, the same for every split', () => {
    fc.assert(
      fc.property(hostileBytesArb, cutsArb, fc.integer({ min: 0, max: 6000 }), (bytes, cuts, maxFrameBytes) => {
        const whole = decode([bytes], maxFrameBytes);
        const pieces = decode(split(bytes, cuts), maxFrameBytes);
        assert.deepEqual(pieces.frames, whole.frames);
        assert.equal(pieces.error?.reason, whole.error?.reason);
        assert.equal(pieces.error?.message, whole.error?.message);
      }),
      { numRuns: RUNS },
    );
  });
});
