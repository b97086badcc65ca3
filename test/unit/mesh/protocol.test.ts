import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MicroError } from '../../../src/mesh/errors.ts';
import { decodeRequest, encodeRequest, RequestHeaderDecoder, RequestHeaderEncoder } from '../../../src/mesh/protocol.ts';

const base = { service: 'greeter', endpoint: 'Say.Hello', contentType: 'application/json', timeoutMs: 1500, metadata: {} };

test('protocol — request headers round-trip; the cached encoder gives the same bytes as the plain one', () => {
  const enc = new RequestHeaderEncoder();
  for (const h of [base, { ...base, timeoutMs: 7 }, { ...base, contentType: 'application/msgpack' }, { ...base, metadata: { traceparent: 't' } }]) {
    const bytes = enc.encode(h);
    assert.deepEqual([...bytes], [...encodeRequest(h)]);
    assert.deepEqual(decodeRequest(bytes), h);
  }
});

test('protocol — frozen metadata reused call after call (a token) is packed once per route, and each object keeps its own', () => {
  const enc = new RequestHeaderEncoder();
  const first = Object.freeze({ authorization: 'Bearer one' });
  const second = Object.freeze({ authorization: 'Bearer two' });
  for (const h of [{ ...base, metadata: first }, { ...base, metadata: first, timeoutMs: 9 }, { ...base, metadata: second }, { ...base, endpoint: 'Say.Bye', metadata: first }]) {
    assert.deepEqual([...enc.encode(h)], [...encodeRequest(h)]);
  }
});

test('protocol — the decoder reuses a repeated route and notices every change', () => {
  const dec = new RequestHeaderDecoder();
  const enc = new RequestHeaderEncoder();
  const seq = [base, { ...base, timeoutMs: 99 }, { ...base, endpoint: 'Say.Bye' }, { ...base, metadata: { a: 'b' } }, base];
  for (const h of seq) assert.deepEqual({ ...dec.decode(enc.encode(h)) }, h);
});

test('protocol — the decoder counts a new route only when the route bytes change, not the time left', () => {
  const dec = new RequestHeaderDecoder();
  const enc = new RequestHeaderEncoder();
  const counts = [base, { ...base, timeoutMs: 99 }, { ...base, endpoint: 'Say.Bye' }, { ...base, endpoint: 'Say.Bye' }, { ...base, metadata: { a: 'b' } }, base].map((h) => {
    dec.decode(enc.encode(h));
    return dec.routes;
  });
  assert.deepEqual(counts, [1, 1, 2, 2, 3, 4]);
});

test('protocol — garbled request headers are PROTOCOL_ERRORs, never crashes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const dec = new RequestHeaderDecoder();
      try {
        dec.decode(bytes);
      } catch (err) {
        assert.ok(err instanceof MicroError, String(err));
        assert.equal(err.reason, 'PROTOCOL_ERROR');
      }
    }),
    { numRuns: 2000 },
  );
});

test('protocol — the encoder’s route cache stays bounded', () => {
  const enc = new RequestHeaderEncoder(10);
  for (let i = 0; i < 100; i++) assert.deepEqual(decodeRequest(enc.encode({ ...base, endpoint: `E.M${i}` })).endpoint, `E.M${i}`);
});
