import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Packr } from 'msgpackr';
import { ContentType } from '../../../../src/mesh/codec/codec.ts';
import { createMsgpackCodec, defaultMsgpackCodecOptions } from '../../../../src/mesh/codec/msgpack.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';

const codec = createMsgpackCodec();

test('msgpack — content type is application/msgpack', () => {
  assert.equal(codec.contentType, ContentType.MSGPACK);
});

test('msgpack — default is standard MessagePack that a plain decoder reads', () => {
  assert.equal(defaultMsgpackCodecOptions().records, false);
  const plain = new Packr({ useRecords: false, mapsAsObjects: true });
  const value = { id: 7, tags: ['a'], nested: { ok: true } };
  assert.deepEqual(plain.unpack(codec.encode(value)), value);
  assert.deepEqual(codec.decode(plain.pack(value)), value);
});

test('msgpack — int64 within 2^53 decodes as a number, beyond as a BigInt', () => {
  const plain = new Packr({ useRecords: false });
  assert.equal(codec.decode(plain.pack(2n ** 40n)), 2 ** 40);
  assert.equal(codec.decode(plain.pack(2n ** 60n)), 2n ** 60n);
});

test('msgpack — binary decodes as a Buffer even from a plain Uint8Array', () => {
  const bytes = new Uint8Array(codec.encode({ blob: Buffer.from([1, 2]) }));
  const decoded = codec.decode(bytes) as { blob: unknown };
  assert.ok(Buffer.isBuffer(decoded.blob));
  assert.deepEqual([...(decoded.blob as Buffer)], [1, 2]);
});

test('msgpack — a failed encode (cycle) leaves the codec working', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => codec.encode(cyclic), (err) => err instanceof MicroError && err.reason === 'BAD_REQUEST');
  assert.deepEqual(codec.decode(codec.encode({ after: [1, 2] })), { after: [1, 2] });
});

test('msgpack — records make repeated shapes smaller', () => {
  const rows = Array.from({ length: 100 }, (_, i) => ({ id: i, name: `n${i}`, active: true }));
  const records = createMsgpackCodec({ records: true });
  assert.ok(records.encode(rows).length < codec.encode(rows).length * 0.8);
  assert.deepEqual(createMsgpackCodec({ records: true }).decode(records.encode(rows)), rows);
});
