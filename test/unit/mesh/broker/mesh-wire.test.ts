import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePublish, encodePublish } from '../../../../src/mesh/broker/mesh-wire.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { pack } from '../../../../src/mesh/protocol.ts';

test('mesh-native wire — a PUBLISH header round-trips; a garbled or misshapen one is a PROTOCOL_ERROR, never a crash', () => {
  const m = { topic: 'a.b', body: Buffer.from('1'), contentType: 'application/msgpack', metadata: { k: 'v' }, id: 'i', source: 's', type: 't', time: '2026-01-01T00:00:00Z' };
  const back = decodePublish(encodePublish(m, ['q1']), m.body);
  assert.deepEqual(back, { message: m, queues: ['q1'] });
  for (const bad of [Buffer.from([0xc1, 0xff]), pack({ not: 'a list' }), pack(['a.b', 0, {}, 'i', 's', 't', 'x']), pack(['a.b', 0, {}, '', 's', 't', 'x', []]), pack(['a.b', 0, {}, 'i', 's', 't', 'x', 'q'])]) {
    assert.throws(() => decodePublish(bad, Buffer.alloc(0)), (e: unknown) => e instanceof MicroError && e.reason === 'PROTOCOL_ERROR');
  }
});
