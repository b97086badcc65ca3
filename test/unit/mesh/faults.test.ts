import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { MicroError } from '../../../src/mesh/errors.ts';
import { decodeError, encodeHello, encodeRequest, NO_HEADER, PROTOCOL_VERSION } from '../../../src/mesh/protocol.ts';
import { defineService } from '../../../src/mesh/service.ts';
import { createMemoryTransport } from '../../../src/mesh/transport/memory.ts';
import { type Frame, FrameType } from '../../../src/mesh/transport/transport.ts';
import { memoryMesh } from '../../support/mesh.ts';
import { deferred, waitUntil, waitUntilAsync } from '../../support/wait.ts';

let mesh: ReturnType<typeof memoryMesh>;
afterEach(() => mesh?.close());

const echo = defineService({ name: 'echo', endpoints: { 'Echo.Call': (req: unknown) => req, 'Echo.Safe': { idempotent: true, handler: (req: unknown) => req } } });

/** Dials a node with a raw connection and returns the first frame answering `frame`. */
async function rawExchange(network: ReturnType<typeof memoryMesh>['network'], address: string, frames: Frame[]): Promise<Frame[]> {
  const conn = await createMemoryTransport({ network }).dial(address);
  const got: Frame[] = [];
  const answered = deferred();
  conn.setHandler({
    onFrame: (f) => {
      got.push({ ...f, header: f.header.slice(), body: f.body.slice() });
      if (f.type === FrameType.ERROR || f.type === FrameType.RESPONSE) answered.resolve();
    },
    onClose: () => answered.resolve(),
  });
  conn.send({ type: FrameType.HELLO, flags: 0, streamId: 0, header: encodeHello({ version: PROTOCOL_VERSION, nodeId: 'raw', address: '', nonce: new Uint8Array(16) }), body: NO_HEADER });
  for (const f of frames) conn.send(f);
  await answered.promise;
  conn.close();
  return got;
}

test('bad input — an undecodable body is a 400 and the server keeps serving', async () => {
  mesh = memoryMesh();
  const server = await mesh.node('server');
  await server.serve(echo);
  const header = encodeRequest({ service: 'echo', endpoint: 'Echo.Call', contentType: 'application/json', timeoutMs: 1000, metadata: {} });
  const got = await rawExchange(mesh.network, 'mem://server', [{ type: FrameType.REQUEST, flags: 0, streamId: 1, header, body: new TextEncoder().encode('{not json') }]);
  const error = got.find((f) => f.type === FrameType.ERROR);
  assert.ok(error, 'no error frame');
  const e = decodeError(error.body);
  assert.equal(e.code, 400);
  assert.equal(e.reason, 'DECODE_FAILED');
  const client = await mesh.node('client');
  assert.deepEqual(await client.client.call('echo', 'Echo.Call', { ok: 1 }), { ok: 1 });
});

test('bad input — a garbled request header closes only that connection, with a logged reason', async () => {
  mesh = memoryMesh();
  const server = await mesh.node('server');
  await server.serve(echo);
  const got = await rawExchange(mesh.network, 'mem://server', [{ type: FrameType.REQUEST, flags: 0, streamId: 1, header: new Uint8Array([0xc1, 0xff, 3]), body: NO_HEADER }]);
  assert.ok(got.some((f) => f.type === FrameType.ERROR) || got.length <= 1);
  const client = await mesh.node('client');
  assert.deepEqual(await client.client.call('echo', 'Echo.Call', 7), 7);
  const badHello = await rawExchange(mesh.network, 'mem://server', [{ type: FrameType.HELLO, flags: 0, streamId: 0, header: new Uint8Array([1, 2, 3]), body: NO_HEADER }]);
  assert.ok(badHello.length <= 1);
  const log = mesh.logs.get('server');
  assert.ok(log?.entries.some((e) => /protocol error/.test(e.message)), 'the reason was not logged');
  assert.deepEqual(await client.client.call('echo', 'Echo.Call', 8), 8);
});

test('faults — a node that cannot be reached is marked down and the call goes to another node', async () => {
  mesh = memoryMesh();
  const live = await mesh.node('live');
  await live.serve(echo);
  await mesh.registry.register({ name: 'echo', version: 'latest', metadata: {}, endpoints: [], nodes: [{ id: 'ghost', address: 'mem://ghost', metadata: {} }] });
  const client = await mesh.node('client');
  for (let i = 0; i < 10; i++) assert.equal(await client.client.call('echo', 'Echo.Call', i, { selector: 'round-robin' }), i);
});

test('faults — a draining node refuses new calls, which go to another node; calls in flight finish', async () => {
  mesh = memoryMesh();
  const release = deferred();
  const started = deferred();
  const svc = defineService({
    name: 'work',
    endpoints: {
      'Work.Do': async (req: { wait: boolean }, ctx) => {
        if (req.wait) {
          started.resolve();
          await release.promise;
        }
        return ctx.metadata['micro-from-node'] ?? 'x';
      },
    },
  });
  const a = await mesh.node('a', { drainTimeoutMs: 5000 });
  const b = await mesh.node('b');
  await a.serve(svc, { instances: 2 });
  const client = await mesh.node('client');
  const pinned = client.client.call('work', 'Work.Do', { wait: true }, { selector: { select: (nodes) => nodes.find((n) => n.id === 'a') } });
  await started.promise;
  await b.serve(svc);
  const stopping = a.stop();
  await waitUntilAsync(async () => (await a.health.readiness()).checks.draining?.ok === false, 5000, 'a to drain');
  for (let i = 0; i < 5; i++) assert.equal(await client.client.call('work', 'Work.Do', { wait: false }), 'client');
  release.resolve();
  assert.equal(await pinned, 'client', 'the call in flight on the draining node finished');
  await stopping;
});

test('faults — a request to a node that closes mid-call fails with 503, retried only when idempotent', async () => {
  mesh = memoryMesh();
  // Handlers that do not answer before the node has closed (released then, so that its stop need not wait them out).
  let running = 0;
  const release = deferred();
  const never = async (): Promise<string> => {
    running++;
    await release.promise;
    return 'late';
  };
  const hold = defineService({
    name: 'hold',
    endpoints: {
      'Hold.Once': never,
      'Hold.Safe': { idempotent: true, handler: never },
    },
  });
  const a = await mesh.node('a', { drainTimeoutMs: 10 });
  await a.serve(hold, { instances: 2 });
  const b = await mesh.node('b');
  await b.serve(defineService({ name: 'hold', endpoints: { 'Hold.Once': () => 'b', 'Hold.Safe': { idempotent: true, handler: () => 'b' } } }));
  const client = await mesh.node('client');
  const toA = { select: (nodes: readonly { id: string }[]) => nodes.find((n) => n.id === 'a') ?? nodes[0] };
  const once = client.client.call('hold', 'Hold.Once', {}, { selector: toA as never }).catch((e: unknown) => e);
  const safe = client.client.call('hold', 'Hold.Safe', {}, { selector: { select: (nodes) => nodes.find((n) => n.id === 'a') ?? nodes.find((n) => n.id === 'b') } });
  await waitUntil(() => running === 2, 5000, 'both calls running on a');
  const stopping = a.stop();
  const err = await once;
  assert.ok(err instanceof MicroError);
  assert.equal(err.code, 503);
  assert.equal(await safe, 'b');
  release.resolve();
  await stopping;
});

test('lifecycle — stopping a node leaves a registry shared with other nodes open', async () => {
  mesh = memoryMesh();
  const a = await mesh.node('a');
  const b = await mesh.node('b');
  const c = await mesh.node('c');
  await b.serve(echo);
  await a.stop();
  assert.deepEqual(await c.client.call('echo', 'Echo.Call', 'still here'), 'still here');
  const names = (await mesh.registry.listServices()).map((s) => s.name);
  assert.ok(names.includes('echo'));
});
