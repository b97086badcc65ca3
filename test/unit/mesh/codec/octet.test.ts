import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContentType } from '../../../../src/mesh/codec/codec.ts';
import { createOctetCodec } from '../../../../src/mesh/codec/octet.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';

const codec = createOctetCodec();

test('octet — content type is application/octet-stream', () => {
  assert.equal(codec.contentType, ContentType.OCTET);
});

test('octet — encode passes the same bytes through, uncopied', () => {
  const bytes = new Uint8Array([1, 2, 3]);
  assert.equal(codec.encode(bytes), bytes);
});

test('octet — decode shares memory with the body', () => {
  const body = new Uint8Array([1, 2, 3]);
  const decoded = codec.decode(body) as Buffer;
  body[0] = 9;
  assert.equal(decoded[0], 9);
  assert.ok(Buffer.isBuffer(decoded));
});

test('octet — a string is BAD_REQUEST naming what it got', () => {
  assert.throws(
    () => codec.encode('text'),
    (err) => err instanceof MicroError && err.reason === 'BAD_REQUEST' && err.detail.includes('string'),
  );
});
