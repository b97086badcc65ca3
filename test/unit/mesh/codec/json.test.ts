import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContentType } from '../../../../src/mesh/codec/codec.ts';
import { createJsonCodec } from '../../../../src/mesh/codec/json.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';

const codec = createJsonCodec();
const isReason = (reason: string) => (err: unknown) => err instanceof MicroError && err.reason === reason;

test('json — content type is application/json', () => {
  assert.equal(codec.contentType, ContentType.JSON);
});

test('json — encodes UTF-8 JSON text', () => {
  assert.equal(Buffer.from(codec.encode({ a: 'ü' })).toString('utf8'), '{"a":"ü"}');
});

test('json — a BigInt is BAD_REQUEST with the cause kept', () => {
  assert.throws(
    () => codec.encode({ id: 1n }),
    (err) => isReason('BAD_REQUEST')(err) && (err as MicroError).cause instanceof TypeError && /BigInt/.test((err as MicroError).detail),
  );
});

test('json — a top-level function has no JSON form: BAD_REQUEST', () => {
  assert.throws(() => codec.encode(() => 1), isReason('BAD_REQUEST'));
});

test('json — undefined properties are dropped, as JSON.stringify does', () => {
  assert.deepEqual(codec.decode(codec.encode({ a: undefined, b: 1 })), { b: 1 });
});

test('json — invalid UTF-8 is DECODE_FAILED, not replacement characters', () => {
  assert.throws(() => codec.decode(new Uint8Array([0x22, 0xc3, 0x28, 0x22])), isReason('DECODE_FAILED'));
});

test('json — a leading byte-order mark is accepted', () => {
  assert.deepEqual(codec.decode(new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from('[1]')])), [1]);
});

test('json — the error detail is bounded for huge bad bodies', () => {
  const body = Buffer.from(`{"a": ${'x'.repeat(100_000)}}`);
  assert.throws(() => codec.decode(body), (err) => isReason('DECODE_FAILED')(err) && (err as MicroError).detail.length < 400);
});
