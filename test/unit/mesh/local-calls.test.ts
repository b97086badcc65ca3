import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createSimulatedClock, silentLogger } from '../../../src/actors/index.ts';
import { MicroError } from '../../../src/mesh/errors.ts';
import { createNode } from '../../../src/mesh/node.ts';
import { createMemoryRegistry } from '../../../src/mesh/registry/memory.ts';
import type { Middleware } from '../../../src/mesh/middleware/middleware.ts';
import { defineService } from '../../../src/mesh/service.ts';
import { memoryMesh } from '../../support/mesh.ts';
import { pass, passUntil, passUntilSettled } from '../../support/wait.ts';

let mesh: ReturnType<typeof memoryMesh>;
afterEach(() => mesh?.close());

const svc = defineService({
  name: 'local',
  endpoints: {
    'Echo.Same': (req: { n: number }) => req,
    'Echo.Slow': async (_req: unknown, ctx) => {
      // Ends only when aborted, with the abort's reason (a 408 at the deadline).
      await new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }));
    },
    'Echo.Fail': () => {
      throw new Error('local handler broke');
    },
    'Echo.Caller': (_req: unknown, ctx) => ({ caller: ctx.caller, tag: ctx.metadata['x-tag'] }),
  },
});

test('in-process — a call to a service of the same node skips transport and codec, with the same middleware', async () => {
  mesh = memoryMesh();
  const seen: string[] = [];
  const tag: Middleware = {
    name: 'tag',
    call: (next) => (c) => next(Object.assign(c, { metadata: { 'x-tag': 'yes' } })),
    attempt: (next) => (a) => (seen.push(`${a.node.id}${a.local ? ' local' : ''}`), next(a)),
    handler: (next) => (r, c) => (seen.push(`handler ${c.endpoint}`), next(r, c)),
  };
  const node = await mesh.node('solo', { middleware: [tag] });
  await node.serve(svc);
  const before = node.transport.stats();
  const request = { n: 1 };
  const reply = await node.client.call<{ n: number }>('local', 'Echo.Same', request);
  assert.equal(reply, request, 'the value is handed over as it is: no codec');
  assert.deepEqual(await node.client.call('local', 'Echo.Caller', {}), { caller: 'solo', tag: 'yes' });
  const after = node.transport.stats();
  assert.equal(after.framesOut - before.framesOut, 0, 'no frame was written');
  assert.deepEqual(seen, ['solo local', 'handler Echo.Same', 'solo local', 'handler Echo.Caller']);
});

test('in-process — deadlines, unknown endpoints and handler failures behave as over the wire', async () => {
  mesh = memoryMesh();
  const clock = createSimulatedClock();
  const node = await mesh.node('solo', { system: { clock } });
  await node.serve(svc);
  const restarts: string[] = [];
  node.system.events.on('actor-restarted', (e) => restarts.push(e.actor));

  const slow = await passUntilSettled(clock, node.client.call('local', 'Echo.Slow', {}, { timeoutMs: 50 }).catch((e: unknown) => e), 'the slow call', 100);
  assert.ok(slow instanceof MicroError);
  assert.equal(slow.code, 408);

  const missing = await node.client.call('local', 'Echo.Nothing', {}).catch((e: unknown) => e);
  assert.ok(missing instanceof MicroError);
  assert.equal(missing.reason, 'ENDPOINT_NOT_FOUND');

  const failed = await node.client.call('local', 'Echo.Fail', {}).catch((e: unknown) => e);
  assert.ok(failed instanceof MicroError);
  assert.equal(failed.code, 500);
  assert.match(failed.detail, /local handler broke/);
  await passUntil(clock, () => restarts.length === 1, 'the instance restart', 2000);
  assert.deepEqual(await node.client.call('local', 'Echo.Same', { n: 2 }), { n: 2 });
});

test('in-process — with a second node serving it, the selector still spreads calls; only remote ones use the wire', async () => {
  mesh = memoryMesh();
  const servedBy = (id: string) => defineService({ name: 'spread', endpoints: { 'Who.Am': () => id } });
  const a = await mesh.node('a');
  const b = await mesh.node('b');
  await a.serve(servedBy('a'));
  await b.serve(servedBy('b'));
  const before = a.transport.stats().framesOut;
  const count = { a: 0, b: 0 };
  for (let i = 0; i < 40; i++) count[(await a.client.call<'a' | 'b'>('spread', 'Who.Am', {}, { selector: 'round-robin' }))]++;
  assert.deepEqual(count, { a: 20, b: 20 });
  const frames = a.transport.stats().framesOut - before;
  assert.ok(frames >= 20 && frames < 30, `only the 20 calls to b were written (${frames} frames, HELLO and VERIFY included)`);
});

test('registration — a node re-registers before its TTL runs out, so a TTL registry keeps its services', async () => {
  const clock = createSimulatedClock();
  const registry = createMemoryRegistry({ clock });
  const node = await createNode({ id: 'ttl', registry, transport: 'memory', address: 'mem://ttl', registerTtlMs: 150, system: { clock }, logger: silentLogger });
  try {
    await node.serve(svc);
    // Five TTLs pass on the simulated clock: without re-registration the entry would have expired after one.
    await pass(clock, 750);
    const nodes = (await registry.getService('local')).flatMap((s) => s.nodes).map((n) => n.id);
    assert.deepEqual(nodes, ['ttl']);
  } finally {
    await node.stop();
  }
});

test('in-process — a stream to a service of the same node goes over its own connection, and knows its caller', async () => {
  mesh = memoryMesh();
  const node = await mesh.node('self');
  await node.serve(defineService({ name: 'mirror', endpoints: { 'Mirror.Who': { stream: async (s, ctx) => { for await (const m of s) await s.send(`${m as string} from ${ctx.caller}`); } } } }));
  const s = await node.client.stream<string, string>('mirror', 'Mirror.Who');
  await s.send('hi');
  s.closeSend();
  assert.deepEqual(await s.collect(), ['hi from self']);
});
