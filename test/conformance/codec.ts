/**
 * The conformance suite every `Codec` passes: round trips, empty bodies, and bad input that
 * must become a typed MicroError (DECODE_FAILED / BAD_REQUEST), never a crash or another error.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { Codec } from '../../src/mesh/codec/codec.ts';
import { MicroError } from '../../src/mesh/errors.ts';

export interface CodecSample {
  name: string;
  value: unknown;
  /** The protobuf message type; ignored by other codecs. */
  typeName?: string;
  /** What decoding gives back, when not `value` itself (protobuf fills defaults). */
  expected?: unknown;
}

export interface CodecSamples {
  /** Values that must survive encode → decode. */
  roundTrip: CodecSample[];
  /** Bodies the codec must refuse with DECODE_FAILED; empty for codecs that accept any bytes. */
  garbage: Array<{ name: string; bytes: Uint8Array; typeName?: string }>;
  /** Values the codec must refuse with BAD_REQUEST. */
  unencodable: CodecSample[];
  /** What an empty body decodes to (for protobuf, of which type). */
  empty: { decoded: unknown; typeName?: string };
  /** The type random bytes are decoded as (protobuf). */
  fuzzTypeName?: string;
}

function assertMicroError(err: unknown, reason: string, contentType?: string): true {
  assert.ok(err instanceof MicroError, `expected a MicroError, got ${String(err)}`);
  assert.equal(err.reason, reason);
  assert.equal(err.code, 400);
  if (contentType !== undefined) assert.ok(err.detail.includes(contentType), `detail names ${contentType}: ${err.detail}`);
  return true;
}

export function describeCodec(name: string, factory: () => Codec, samples: CodecSamples): void {
  describe(`codec conformance: ${name}`, () => {
    const codec = factory();

    test(`${name} — content type is a MIME type`, () => {
      assert.match(codec.contentType, /^[a-z]+\/[a-z0-9.+-]+$/);
    });

    for (const sample of samples.roundTrip) {
      test(`${name} — round trip: ${sample.name}`, () => {
        const bytes = codec.encode(sample.value, sample.typeName);
        assert.ok(bytes instanceof Uint8Array);
        assert.deepStrictEqual(codec.decode(bytes, sample.typeName), 'expected' in sample ? sample.expected : sample.value);
      });
    }

    test(`${name} — another instance (another node) decodes what this one encoded`, () => {
      const other = factory();
      for (let round = 0; round < 3; round++) {
        for (const sample of samples.roundTrip) {
          const expected = 'expected' in sample ? sample.expected : sample.value;
          assert.deepStrictEqual(other.decode(codec.encode(sample.value, sample.typeName), sample.typeName), expected);
        }
      }
    });

    test(`${name} — decodes a body that is a view at an offset in a bigger buffer`, () => {
      for (const sample of samples.roundTrip) {
        const bytes = codec.encode(sample.value, sample.typeName);
        const host = new Uint8Array(bytes.length + 16).fill(0xff);
        host.set(bytes, 7);
        const view = host.subarray(7, 7 + bytes.length);
        assert.deepStrictEqual(codec.decode(view, sample.typeName), 'expected' in sample ? sample.expected : sample.value);
      }
    });

    test(`${name} — encoded bytes stay valid after later encodes`, () => {
      const first = samples.roundTrip.map((s) => ({ s, bytes: codec.encode(s.value, s.typeName) }));
      const snapshot = first.map(({ bytes }) => Buffer.from(bytes));
      for (let i = 0; i < 50; i++) for (const s of samples.roundTrip) codec.encode(s.value, s.typeName);
      for (const [i, { bytes }] of first.entries()) assert.deepStrictEqual(Buffer.from(bytes), snapshot[i]);
    });

    test(`${name} — empty body: undefined encodes to no bytes, no bytes decode as specified`, () => {
      assert.equal(codec.encode(undefined, samples.empty.typeName).length, 0);
      assert.deepStrictEqual(codec.decode(new Uint8Array(0), samples.empty.typeName), samples.empty.decoded);
    });

    for (const bad of samples.garbage) {
      test(`${name} — garbage is DECODE_FAILED naming the content type: ${bad.name}`, () => {
        assert.throws(() => codec.decode(bad.bytes, bad.typeName), (err) => assertMicroError(err, 'DECODE_FAILED', codec.contentType));
      });
    }

    test(`${name} — random bytes decode or fail with DECODE_FAILED, nothing else`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 96 }), (bytes) => {
          try {
            codec.decode(bytes, samples.fuzzTypeName);
          } catch (err) {
            assertMicroError(err, 'DECODE_FAILED', codec.contentType);
          }
        }),
        { numRuns: 1000 },
      );
    });

    for (const sample of samples.unencodable) {
      test(`${name} — unencodable value is BAD_REQUEST: ${sample.name}`, () => {
        assert.throws(() => codec.encode(sample.value, sample.typeName), (err) => assertMicroError(err, 'BAD_REQUEST', codec.contentType));
      });
    }

    test(`${name} — still works after refusing bad input`, () => {
      for (const bad of samples.garbage) assert.throws(() => codec.decode(bad.bytes, bad.typeName));
      for (const sample of samples.unencodable) assert.throws(() => codec.encode(sample.value, sample.typeName));
      for (const sample of samples.roundTrip) {
        const expected = 'expected' in sample ? sample.expected : sample.value;
        assert.deepStrictEqual(codec.decode(codec.encode(sample.value, sample.typeName), sample.typeName), expected);
      }
    });
  });
}
