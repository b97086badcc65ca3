import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { greeter } from '../../examples/helloworld/greeter.ts';
import type { ActorContext, Ask } from '../../src/actors/index.ts';
import type { MeshNode } from '../../src/mesh/node.ts';
import type { NodeOptions } from '../../src/mesh/node-options.ts';
import { NODE_SERVICE } from '../../src/mesh/client/resolver.ts';
import { MicroError } from '../../src/mesh/errors.ts';
import { defineService } from '../../src/mesh/service.ts';
import { createMemoryRegistry } from '../../src/mesh/registry/memory.ts';
import { createNode } from '../../src/plugins/node.ts';
import { engineAvailable, runId } from '../support/engines.ts';
import { consumeSlowly, firehose } from '../support/firehose.ts';

const NATS = 'nats://127.0.0.1:4222';
const available = await engineAvailable('NATS', 4222);
const nodes: MeshNode[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

async function node(options: NodeOptions): Promise<MeshNode> {
  const n = await createNode({ registerTtlMs: 60_000, ...options });
  nodes.push(n);
  return n;
}

const hello = (name: string) =>
  defineService({
    name,
    version: '1.0.0',
    endpoints: {
      'Say.Hello': (req: { name: string }) => ({ msg: `Hello ${req.name}` }),
      'Say.Caller': (_req: unknown, ctx) => ctx.caller,
    },
  });

type Calc = { type: 'add'; a: number; b: number } & Ask<number>;

test('nats transport — the helloworld service and client run over NATS unchanged: unary, stream, remote actor', { skip: !available }, async () => {
  const registry = createMemoryRegistry();
  const id = runId();
  const server = await node({ id: `${id}-server`, registry, transport: NATS });
  const client = await node({ id: `${id}-client`, registry, transport: NATS });
  assert.equal(server.address, `nats://${id}-server`);
  await server.serve(greeter, { instances: 2 });
  const typed = client.client.typed(greeter);
  assert.deepEqual(await typed.call('Say.Hello', { name: 'Ada' }, { timeoutMs: 2000 }), { msg: 'Hello Ada' });
  const stream = await typed.stream('Say.Stream');
  for (const name of ['Grace', 'Barbara']) await stream.send(name);
  stream.closeSend();
  const lines: unknown[] = [];
  for await (const line of stream) lines.push(line);
  assert.deepEqual(lines, ['Hello Grace', 'Hello Barbara']);
  server.expose(server.system.spawn((m: Calc, ctx: ActorContext<Calc>) => ctx.reply(m.a + m.b), { name: 'calc' }));
  assert.equal(await client.ref<Calc>(`mesh://${id}-server/user/calc`).ask({ type: 'add', a: 2, b: 3 }), 5);
  const [record] = await registry.getService(NODE_SERVICE);
  const addresses = record?.nodes.map((n) => n.address).sort();
  assert.deepEqual(addresses, [`nats://${id}-client`, `nats://${id}-server`]);
});

test('nats transport — a node listens on TCP and NATS at once; a NATS-only and a TCP-only caller each reach it by scheme', { skip: !available }, async () => {
  const registry = createMemoryRegistry();
  const id = runId();
  const both = await node({ id: `${id}-both`, registry, transport: ['tcp', NATS] });
  const natsOnly = await node({ id: `${id}-nats`, registry, transport: NATS });
  const tcpOnly = await node({ id: `${id}-tcp`, registry, transport: 'tcp' });
  await both.serve(greeter);
  await both.serve(hello('who'));
  assert.match(both.address, /^127\.0\.0\.1:\d+$/);
  const [record] = await registry.getService('greeter');
  const self = record?.nodes[0];
  assert.equal(self?.address, both.address);
  assert.equal(self?.metadata.addresses, `${both.address} nats://${id}-both`);
  assert.equal(self?.metadata.transport, 'tcp+nats');
  for (const caller of [natsOnly, tcpOnly]) {
    assert.deepEqual(await caller.client.call('greeter', 'Say.Hello', { name: caller.id }, { timeoutMs: 3000 }), { msg: `Hello ${caller.id}` });
    // The caller's identity was checked by dial-back over the same transport it called on.
    assert.equal(await caller.client.call('who', 'Say.Caller', {}, { timeoutMs: 3000 }), caller.id);
  }
  const natsStats = both.transport.stats();
  assert.ok(natsStats.connectionsOpened >= 2, 'both transports carried a connection');
  // The two-transport node calls each single-transport node over the transport that node has.
  await natsOnly.serve(hello('greeter-nats'));
  await tcpOnly.serve(hello('greeter-tcp'));
  assert.deepEqual(await both.client.call('greeter-nats', 'Say.Hello', { name: 'n' }, { timeoutMs: 3000 }), { msg: 'Hello n' });
  assert.deepEqual(await both.client.call('greeter-tcp', 'Say.Hello', { name: 't' }, { timeoutMs: 3000 }), { msg: 'Hello t' });
  // A TCP-only caller cannot reach a NATS-only service: no node it can dial, a typed error, not a hang.
  const err = await tcpOnly.client.call('greeter-nats', 'Say.Hello', { name: 'x' }, { timeoutMs: 3000 }).catch((e: unknown) => e);
  assert.ok(err instanceof MicroError && [404, 503].includes(err.code), String(err));
});

test('nats transport — transportOptions reach the NATS transport: nodes on another subject prefix are apart from the default one', { skip: !available }, async () => {
  const registry = createMemoryRegistry();
  const id = runId();
  const nats = { subjectPrefix: `_MMP_${id}` };
  const server = await node({ id: `${id}-s`, registry, transport: NATS, transportOptions: { nats } });
  const client = await node({ id: `${id}-c`, registry, transport: NATS, transportOptions: { nats } });
  const outsider = await node({ id: `${id}-o`, registry, transport: NATS });
  await server.serve(greeter);
  assert.deepEqual(await client.client.call('greeter', 'Say.Hello', { name: 'Ada' }), { msg: 'Hello Ada' });
  const err = await outsider.transport.dial(`nats://${id}-s`).catch((e: unknown) => e);
  assert.ok(err instanceof MicroError && err.reason === 'CONNECT_FAILED', String(err));
  assert.match(err.message, /nothing listens there/);
});

test('nats transport — stream credit holds over NATS: a slow consumer keeps the producer at most a window ahead', { skip: !available }, async () => {
  const registry = createMemoryRegistry();
  const id = runId();
  const hose = firehose();
  const server = await node({ id: `${id}-s`, registry, transport: NATS });
  await server.serve(hose.service);
  const client = await node({ id: `${id}-c`, registry, transport: NATS });
  const s = await client.client.stream<unknown, { i: number }>('firehose', 'Fire.Hose');
  await consumeSlowly(s, hose.produced, 300, 5);
});
