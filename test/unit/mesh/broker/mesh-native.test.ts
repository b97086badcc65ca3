import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { encodePublish } from '../../../../src/mesh/broker/mesh-wire.ts';
import { decodeError } from '../../../../src/mesh/protocol.ts';
import { createMemoryTransport } from '../../../../src/mesh/transport/memory.ts';
import { FrameType } from '../../../../src/mesh/transport/transport.ts';
import { memoryMesh } from '../../../support/mesh.ts';
import { RawPeer } from '../../../support/raw-peer.ts';
import { deferred, eventually, waitUntil } from '../../../support/wait.ts';

let mesh: ReturnType<typeof memoryMesh>;
afterEach(() => mesh?.close());

const message = (topic: string, body: unknown) => ({
  topic,
  body: Buffer.from(JSON.stringify(body)),
  contentType: 'application/json',
  metadata: {},
  id: `id-${Math.random()}`,
  source: 'micromesh://raw',
  type: topic,
  time: new Date().toISOString(),
});

test('mesh-native broker — a PUBLISH is answered once queued; a full subscription answers 503 OVERLOADED', async () => {
  mesh = memoryMesh();
  const a = await mesh.node('a');
  const gate = deferred<void>();
  const got: unknown[] = [];
  await a.subscribe(
    'jobs',
    async (m) => {
      got.push(m);
      await gate.promise;
    },
    { capacity: 1 },
  );
  const raw = await RawPeer.dial(createMemoryTransport({ network: mesh.network }), 'mem://a');
  raw.hello();
  raw.send({ type: FrameType.PUBLISH, flags: 0, streamId: 1, header: encodePublish(message('jobs', 1), []), body: Buffer.from('1') });
  assert.ok(await raw.until(() => raw.of(FrameType.RESPONSE, 1).length === 1), 'the first publish is accepted');
  await waitUntil(() => got.length === 1, 5000, 'the handler to start');
  raw.send({ type: FrameType.PUBLISH, flags: 0, streamId: 3, header: encodePublish(message('jobs', 2), []), body: Buffer.from('2') });
  raw.send({ type: FrameType.PUBLISH, flags: 0, streamId: 5, header: encodePublish(message('jobs', 3), []), body: Buffer.from('3') });
  assert.ok(await raw.until(() => raw.of(FrameType.ERROR, 5).length === 1), 'the third is refused');
  assert.equal(raw.of(FrameType.RESPONSE, 3).length, 1);
  const refused = decodeError((raw.of(FrameType.ERROR, 5)[0] as { body: Uint8Array }).body);
  assert.equal(refused.reason, 'OVERLOADED');
  assert.equal(refused.code, 503);
  gate.resolve();
  await waitUntil(() => got.length === 2, 5000, 'the second message');
});

test('mesh-native broker — a garbled PUBLISH closes that connection; the node goes on delivering', async () => {
  mesh = memoryMesh();
  const a = await mesh.node('a');
  const b = await mesh.node('b');
  const got: unknown[] = [];
  await a.subscribe('news', (m) => void got.push(m));
  const raw = await RawPeer.dial(createMemoryTransport({ network: mesh.network }), 'mem://a');
  raw.hello();
  raw.send({ type: FrameType.PUBLISH, flags: 0, streamId: 1, header: Buffer.from([0xc1, 0x00, 0xff]), body: Buffer.alloc(0) });
  await raw.closed.promise;
  const broker = b.broker as unknown as { knownRemote(): Promise<number> };
  await eventually(async () => assert.ok((await broker.knownRemote()) >= 1, 'b learns of a’s subscription'));
  await b.publish('news', 'still here');
  await waitUntil(() => got.length === 1, 5000, 'the delivery');
  assert.deepEqual(got, ['still here']);
});
