import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect, type NatsConnection } from 'nats';
import { greeter } from '../../examples/helloworld/greeter.ts';
import type { MeshNode } from '../../src/mesh/node.ts';
import { createMemoryRegistry } from '../../src/mesh/registry/memory.ts';
import { createNode } from '../../src/plugins/node.ts';
import { createNatsTransport, type NatsTransport } from '../../src/plugins/nats/transport.ts';
import { decodeWireHead, encodeWire, WireKind, wireBody } from '../../src/plugins/nats/wire.ts';
import { engineAvailable, runId } from '../support/engines.ts';
import { waitUntil } from '../support/wait.ts';

const available = await engineAvailable('NATS', 4222);
const FRAME_TIMEOUT_MS = 300;
const HANDSHAKE_MS = 400;
const MAX_CONNECTIONS = 6;

let nodeNc: NatsConnection;
let hostile: NatsConnection;
let node: MeshNode;
let transport: NatsTransport;
let id: string;

before(async () => {
  if (!available) return;
  id = runId();
  nodeNc = await connect({ servers: '127.0.0.1:4222' });
  hostile = await connect({ servers: '127.0.0.1:4222' });
  transport = createNatsTransport({ nc: nodeNc, nodeId: id }, { frameTimeoutMs: FRAME_TIMEOUT_MS, maxConnections: MAX_CONNECTIONS, discovery: false });
  node = await createNode({ id, registry: createMemoryRegistry(), transport, limits: { handshakeTimeoutMs: HANDSHAKE_MS } });
  await node.serve(greeter);
});
after(async () => {
  if (!available) return;
  await node.stop();
  await transport.close();
  await Promise.all([nodeNc.close(), hostile.close()]);
});

/** A hand-made connection to the node: what it is told back (RESETs) is recorded. */
async function rawOpen(): Promise<{ send(bytes: Uint8Array): void; resets: string[] }> {
  const subject = `_MMX.${id}.${Math.random().toString(36).slice(2, 8)}`;
  const resets: string[] = [];
  hostile.subscribe(subject, {
    callback: (_err, msg) => {
      if (decodeWireHead(msg.data)?.kind === WireKind.RESET) resets.push(wireBody(msg.data).toString());
    },
  });
  await hostile.flush();
  const reply = await hostile.request(`_MM.${id}.l`, encodeWire(WireKind.OPEN, 1, 99, Buffer.from(`${subject}\nnats://hostile`)));
  assert.equal(decodeWireHead(reply.data)?.kind, WireKind.OPENED);
  const body = wireBody(reply.data);
  const peer = { conn: body.readUInt32BE(0), token: body.readUInt32BE(4), subject: body.subarray(8).toString() };
  return { send: (bytes) => hostile.publish(peer.subject, encodeWire(WireKind.DATA, peer.conn, peer.token, bytes)), resets };
}

const frameHead = (length: number, type: number) => {
  const b = Buffer.alloc(12);
  b.writeUInt32BE(length, 0);
  b[4] = type;
  return b;
};

async function stillServes(): Promise<void> {
  const client = await createNode({ id: `${id}-ok`, registry: createMemoryRegistry(), transport: 'nats://127.0.0.1:4222' });
  try {
    // The honest caller dials the node directly, as a registry lookup would.
    const conn = await client.transport.dial(`nats://${id}`);
    assert.equal(conn.closed, false);
    conn.close();
  } finally {
    await client.stop();
  }
}

test('nats hostile — a malformed message or one for no connection is refused with a reason and counted', { skip: !available }, async () => {
  const before = transport.stats().protocolErrors;
  const bad = await hostile.request(`_MM.${id}.l`, Buffer.from('hi'));
  assert.equal(decodeWireHead(bad.data)?.kind, WireKind.RESET);
  assert.equal(wireBody(bad.data).toString(), 'malformed message');
  const stray = await hostile.request(`_MM.${id}.l`, encodeWire(WireKind.DATA, 12345, 1, Buffer.from('x')));
  assert.equal(wireBody(stray.data).toString(), 'unknown connection');
  assert.equal(transport.stats().protocolErrors, before + 2);
  await stillServes();
});

test('nats hostile — garbled, oversized and trickled frames each close that connection with a clear reason', { skip: !available }, async () => {
  const before = transport.stats().protocolErrors;
  const garbled = await rawOpen();
  garbled.send(frameHead(8, 63));
  const oversized = await rawOpen();
  oversized.send(frameHead(0x7fff_fff0, 1));
  const trickled = await rawOpen();
  trickled.send(frameHead(100, 1).subarray(0, 5));
  await waitUntil(() => garbled.resets.length + oversized.resets.length + trickled.resets.length === 3, 3000, 'three RESETs');
  assert.match(garbled.resets[0] ?? '', /type/i);
  assert.match(oversized.resets[0] ?? '', /limit|large/i);
  assert.match(trickled.resets[0] ?? '', /not complete after 300 ms/);
  assert.equal(transport.stats().protocolErrors, before + 3);
  await stillServes();
});

test('nats hostile — a connection that never says HELLO is closed at the handshake deadline; OPENs past the cap are refused', { skip: !available }, async () => {
  const silent = await rawOpen();
  await waitUntil(() => silent.resets.length === 1, HANDSHAKE_MS + 3000, 'the handshake deadline');
  assert.match(silent.resets[0] ?? '', /hello|handshake/i);
  const held = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => rawOpen()));
  const refused = await hostile.request(`_MM.${id}.l`, encodeWire(WireKind.OPEN, 1, 1, Buffer.from(`_MMX.x.y\nnats://x`)));
  assert.equal(decodeWireHead(refused.data)?.kind, WireKind.RESET);
  assert.match(wireBody(refused.data).toString(), /too many connections/);
  await waitUntil(() => held.every((h) => h.resets.length === 1), HANDSHAKE_MS + 3000, 'held connections closed');
  await stillServes();
});
