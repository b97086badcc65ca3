import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { createNode, defineService, type MeshNode } from '../../src/index.ts';
import { encodeHello, encodeRequest, NO_HEADER, PROTOCOL_VERSION } from '../../src/mesh/protocol.ts';
import { encodeFrame, FrameDecoder } from '../../src/mesh/transport/frame-codec.ts';
import { type Frame, FrameType } from '../../src/mesh/transport/transport.ts';
import { randomMdnsPort, startProcess, stopProcess } from '../support/processes.ts';

const mdnsPort = randomMdnsPort();
let server: Awaited<ReturnType<typeof startProcess>>;
let serverAddress: string;
let a: MeshNode;

before(async () => {
  server = await startProcess('relay-server.ts', { TEST_MDNS_PORT: String(mdnsPort), TEST_NODE_ID: 'relay-srv' });
  serverAddress = server.ready.split(' ')[2] as string;
  a = await createNode({ id: 'node-a', mdns: { port: mdnsPort, ttlMs: 3000 } });
  await a.serve(defineService({ name: 'target', endpoints: { 'Target.Who': () => 'the real node-a' } }));
});
after(async () => {
  await a?.stop();
  await stopProcess(server.child);
});

/** A raw TCP connection speaking frames by hand, as an attacker would. */
async function rawConnect(address: string): Promise<{ socket: Socket; frames: Frame[]; closed: Promise<void> }> {
  const [host, port] = address.split(':');
  const socket = connect({ host, port: Number(port) });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const frames: Frame[] = [];
  const decoder = new FrameDecoder();
  socket.on('data', (chunk: Buffer) => decoder.push(chunk, (f) => frames.push({ ...f, header: f.header.slice(), body: f.body.slice() })));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, frames, closed };
}

const hello = (nodeId: string, address: string): Buffer =>
  encodeFrame({ type: FrameType.HELLO, flags: 0, streamId: 0, header: encodeHello({ version: PROTOCOL_VERSION, nodeId, address, nonce: randomBytes(16) }), body: NO_HEADER });
const request = (streamId: number, service: string, endpoint: string): Buffer =>
  encodeFrame({ type: FrameType.REQUEST, flags: 0, streamId, header: encodeRequest({ service, endpoint, contentType: 'application/json', timeoutMs: 10_000, metadata: {} }), body: Buffer.from('{}') });

test('hardening over TCP — a process claiming another node’s id and address is refused and gets none of its calls', async () => {
  const client = await createNode({ id: 'node-c', mdns: { port: mdnsPort, ttlMs: 3000 } });
  try {
    // The attacker connects first and claims to be node-a, at node-a's address.
    const m = await rawConnect(serverAddress);
    m.socket.write(Buffer.concat([hello('node-a', a.address), request(1, 'relay', 'Who.Called')]));
    // node-a denies the nonce when the server asks it: the server closes the attacker's connection.
    await Promise.race([m.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the forged connection stayed open')), 8000))]);
    assert.equal(m.frames.filter((f) => f.type === FrameType.REQUEST).length, 0, 'no call was sent to the impostor');
    assert.equal(m.frames.filter((f) => f.type === FrameType.RESPONSE).length, 0, 'the impostor’s request was never served as node-a');
    // The server's own calls to node-a reach the real node-a, and node-a is recognised as itself.
    for (let i = 0; i < 5; i++) assert.equal(await client.client.call('relay', 'Relay.Call', {}, { timeoutMs: 8000 }), 'the real node-a');
    assert.equal(await a.client.call('relay', 'Who.Called', {}, { timeoutMs: 8000 }), 'node-a');
  } finally {
    await client.stop();
  }
});

test('hardening over TCP — a client that never reads cannot make the server buffer without bound; others keep being served', async () => {
  const client = await createNode({ id: 'node-d', mdns: { port: mdnsPort, ttlMs: 3000 } });
  try {
    const before = (await client.client.call<NodeJS.MemoryUsage>('relay', 'Mem.Usage', {}, { timeoutMs: 8000 })).rss;
    const m = await rawConnect(serverAddress);
    m.socket.pause(); // never reads a byte
    const burst: Buffer[] = [hello('greedy', '')];
    for (let i = 0; i < 2000; i++) burst.push(request(2 * i + 1, 'relay', 'Big.Reply'));
    m.socket.write(Buffer.concat(burst)); // 2000 answers of 256 KiB would be 500 MiB
    let served = 0;
    const deadline = Date.now() + 6000;
    while (Date.now() < deadline) {
      assert.equal(await client.client.call('relay', 'Who.Called', {}, { timeoutMs: 8000 }), 'node-d');
      served++;
      await new Promise((r) => setTimeout(r, 100));
    }
    const afterRss = (await client.client.call<NodeJS.MemoryUsage>('relay', 'Mem.Usage', {}, { timeoutMs: 8000 })).rss;
    assert.ok(served >= 20, `${served} calls answered during the attack`);
    assert.ok(afterRss - before < 96 * 1024 * 1024, `server RSS grew ${Math.round((afterRss - before) / 1048576)} MiB (bound: 96 MiB against 500 MiB asked for)`);
    m.socket.destroy();
  } finally {
    await client.stop();
  }
});
