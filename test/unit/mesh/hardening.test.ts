import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { type ActorContext, type ActorRef, type Ask, createSimulatedClock } from '../../../src/actors/index.ts';
import { MicroError } from '../../../src/mesh/errors.ts';
import { decodeError, encodeMessage } from '../../../src/mesh/protocol.ts';
import { defineService } from '../../../src/mesh/service.ts';
import { createMemoryTransport } from '../../../src/mesh/transport/memory.ts';
import { FrameType } from '../../../src/mesh/transport/transport.ts';
import { memoryMesh } from '../../support/mesh.ts';
import { RawPeer } from '../../support/raw-peer.ts';
import { deferred, passUntil, passUntilSettled, waitUntil } from '../../support/wait.ts';

let mesh: ReturnType<typeof memoryMesh>;
afterEach(() => mesh?.close());

const greeter = defineService({ name: 'greeter', endpoints: { 'Say.Hello': (req: { name: string }) => ({ msg: `Hello ${req.name}` }) } });
const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const message = (to: string, body: unknown) => ({ type: FrameType.MESSAGE, flags: 0, streamId: 0, header: encodeMessage({ to, inc: undefined, uid: undefined, from: undefined, contentType: 'application/json', metadata: {} }), body: json(body) });
const rawTransport = () => createMemoryTransport({ network: mesh.network });
/** The reasons a node logged for the connections it closed after a protocol error. */
const protocolErrors = (node: string) =>
  (mesh.logs.get(node)?.entries ?? []).filter((e) => e.message === 'closing connection after a protocol error').map((e) => String(e.fields.reason));

test('hardening — nothing is processed before HELLO: a message first closes the connection', async () => {
  mesh = memoryMesh();
  const a = await mesh.node('a');
  const got: unknown[] = [];
  a.expose(a.system.spawn((m: unknown) => void got.push(m), { name: 'open' }));
  const raw = await RawPeer.dial(rawTransport(), 'mem://a');
  raw.send(message('/user/open', { type: 'hi' }));
  await raw.closed.promise;
  assert.deepEqual(protocolErrors('a'), ['frame before HELLO']);
  assert.equal(got.length, 0);
});

test('hardening — a connection that never says HELLO (PINGs only) is closed at the handshake deadline', async () => {
  mesh = memoryMesh();
  await mesh.node('a', { limits: { handshakeTimeoutMs: 150 } });
  const raw = await RawPeer.dial(rawTransport(), 'mem://a');
  const timer = setInterval(() => raw.send({ type: FrameType.PING, flags: 0, streamId: 0, header: new Uint8Array(0), body: new Uint8Array(0) }), 20);
  try {
    await raw.closed.promise;
    assert.deepEqual(protocolErrors('a'), ['no HELLO within 150 ms']);
  } finally {
    clearInterval(timer);
  }
});

test('hardening — supervisors, /system and unexposed actors are unreachable from the network; services keep serving', async () => {
  mesh = memoryMesh();
  const a = await mesh.node('a');
  const b = await mesh.node('b');
  await a.serve(greeter);
  const hidden: unknown[] = [];
  a.system.spawn((m: unknown) => void hidden.push(m), { name: 'hidden' });
  const raw = await RawPeer.dial(rawTransport(), 'mem://a');
  raw.hello('b', 'mem://b');
  for (const [to, body] of [
    ['/user/services/greeter', { type: 'stop-child', id: 'instance-1' }],
    ['/user/services', { type: 'stop-child', id: 'greeter' }],
    ['/system/node', { type: 'stop-child', id: 'listener' }],
    ['/user/hidden', { type: 'boo' }],
  ] as const) {
    raw.send(message(to, body));
  }
  // The same from a real, verified node through refs.
  b.ref('mesh://a/user/services/greeter').tell({ type: 'stop-child', id: 'instance-1' });
  const inspect = await b.ref('mesh://a/user/services/greeter').ask({ type: 'inspect' }, { timeoutMs: 2000 }).catch((e: unknown) => e);
  assert.ok(inspect instanceof MicroError);
  assert.equal(inspect.reason, 'ACTOR_NOT_FOUND');
  for (let i = 0; i < 5; i++) assert.equal((await b.client.call<{ msg: string }>('greeter', 'Say.Hello', { name: 'x' })).msg, 'Hello x');
  assert.equal(hidden.length, 0);
  const tree = await a.inspect();
  assert.deepEqual(
    tree.children.map((c) => c.restarts),
    tree.children.map(() => 0),
  );
});

type Probe = { type: 'probe' } & Ask<string>;

test('hardening — a reply settles an ask only when it comes from the node that was asked', async () => {
  mesh = memoryMesh();
  const a = await mesh.node('a');
  const b = await mesh.node('b');
  const c = await mesh.node('c');
  const forged = deferred<void>();
  // c's mole forges a reply to whatever reply address it is handed.
  const mole = c.system.spawn((m: { replyTo: string }) => {
    c.ref(m.replyTo).tell('forged answer');
    forged.resolve();
  }, { name: 'mole' });
  c.expose(mole);
  // b's leaky actor hands the ask's reply address to c instead of answering.
  const leaky = b.system.spawn((_m: Probe, ctx: ActorContext<Probe>) => {
    b.ref('mesh://c/user/mole').tell({ replyTo: ctx.sender?.address });
  }, { name: 'leaky' });
  b.expose(leaky);
  const asked = a.ref<Probe>('mesh://b/user/leaky').ask({ type: 'probe' }, { timeoutMs: 400 }).catch((e: unknown) => e);
  await forged.promise;
  const result = await asked;
  assert.ok(result instanceof Error, `the ask must not resolve with ${String(result)}`);
  assert.match(result.message, /timed out after 400 ms/);
});

test('hardening — a reused stream id closes that connection; the node keeps serving', async () => {
  mesh = memoryMesh();
  const gate = deferred();
  const a = await mesh.node('a');
  await a.serve(defineService({ name: 'slow', endpoints: { 'Slow.Wait': async () => gate.promise } }), { instances: 4 });
  const raw = await RawPeer.dial(rawTransport(), 'mem://a');
  raw.hello();
  raw.request(1, 'slow', 'Slow.Wait', {});
  raw.request(1, 'slow', 'Slow.Wait', {});
  await raw.closed.promise;
  assert.deepEqual(protocolErrors('a'), ['stream 1 opened twice']);
  gate.resolve();
  const b = await mesh.node('b');
  await a.serve(greeter);
  assert.equal((await b.client.call<{ msg: string }>('greeter', 'Say.Hello', { name: 'y' })).msg, 'Hello y');
});

test('hardening — past the per-connection cap, calls get 503 OVERLOADED and the connection stays up', async () => {
  mesh = memoryMesh();
  const gate = deferred();
  const a = await mesh.node('a', { limits: { maxInflight: 50 } });
  await a.serve(defineService({ name: 'slow', endpoints: { 'Slow.Wait': async () => (await gate.promise, 'done') } }), { instances: 60 });
  const raw = await RawPeer.dial(rawTransport(), 'mem://a');
  raw.hello();
  for (let i = 0; i < 60; i++) raw.request(2 * i + 1, 'slow', 'Slow.Wait', {});
  assert.ok(await raw.until(() => raw.of(FrameType.ERROR).length === 10));
  for (const f of raw.of(FrameType.ERROR)) {
    const e = decodeError(f.body);
    assert.equal(e.reason, 'OVERLOADED');
    assert.equal(e.code, 503);
  }
  gate.resolve();
  assert.ok(await raw.until(() => raw.of(FrameType.RESPONSE).length === 50));
  assert.equal(raw.isClosed, false);
});

test('hardening — past the per-connection stream cap, a stream open gets 503; stream deadlines are enforced', async () => {
  mesh = memoryMesh();
  const aborted: unknown[] = [];
  const a = await mesh.node('a', { limits: { maxStreams: 3 } });
  await a.serve(
    defineService({
      name: 'feed',
      endpoints: {
        'Feed.Forever': {
          stream: async (_s, ctx) => {
            await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
            aborted.push(ctx.signal.reason);
          },
        },
      },
    }),
  );
  const raw = await RawPeer.dial(rawTransport(), 'mem://a');
  raw.hello();
  for (let i = 0; i < 4; i++) raw.request(2 * i + 1, 'feed', 'Feed.Forever', null, { stream: true, timeoutMs: 300 });
  assert.ok(await raw.until(() => raw.of(FrameType.ERROR, 7).length === 1));
  assert.equal(decodeError(raw.of(FrameType.ERROR, 7)[0]?.body as Uint8Array).reason, 'OVERLOADED');
  // The three open streams pass their 300 ms deadline: the server ends each with TIMEOUT and aborts its handler.
  assert.ok(await raw.until(() => [1, 3, 5].every((id) => raw.of(FrameType.ERROR, id).length === 1), 5000));
  for (const id of [1, 3, 5]) assert.equal(decodeError(raw.of(FrameType.ERROR, id)[0]?.body as Uint8Array).reason, 'TIMEOUT');
  await waitUntil(() => aborted.length === 3, 2000, 'handlers aborted');
  assert.equal(raw.isClosed, false);
});

test('hardening — a node that accepts connections and never answers is marked down, not kept selected', async () => {
  mesh = memoryMesh();
  const a = await mesh.node('a');
  await a.serve(greeter);
  // A listener that takes connections and says nothing, registered as a greeter node.
  const silent = await createMemoryTransport({ network: mesh.network }).listen('mem://silent', (conn) => conn.setHandler({ onFrame() {}, onClose() {} }));
  await mesh.registry.register({ name: 'greeter', version: 'latest', metadata: {}, endpoints: [], nodes: [{ id: 'silent', address: 'mem://silent', metadata: {} }] });
  const client = await mesh.node('client');
  let failed = 0;
  for (let i = 0; i < 60; i++) {
    await client.client.call('greeter', 'Say.Hello', { name: 'n' }, { timeoutMs: 200 }).catch(() => failed++);
  }
  assert.ok(failed <= 6, `${failed} of 60 calls failed: the silent node must be skipped after its timeouts`);
  await silent.close();
});

test('hardening — deadlines: NaN, negative and infinite timeouts are a 400; a huge one does not fire at once', async () => {
  mesh = memoryMesh();
  const a = await mesh.node('a');
  await a.serve(defineService({ name: 'later', endpoints: { 'Later.Reply': async () => (await new Promise((r) => setTimeout(r, 50)), 'ok') } }));
  for (const timeoutMs of [Number.NaN, -1, 0, Number.POSITIVE_INFINITY]) {
    const err = await a.client.call('later', 'Later.Reply', {}, { timeoutMs }).catch((e: unknown) => e);
    assert.ok(err instanceof MicroError, `timeoutMs ${timeoutMs}`);
    assert.equal(err.code, 400);
    const serr = await a.client.stream('later', 'Later.Reply', { timeoutMs }).catch((e: unknown) => e);
    assert.ok(serr instanceof MicroError && serr.code === 400, `stream timeoutMs ${timeoutMs}`);
  }
  const b = await mesh.node('b');
  assert.equal(await b.client.call('later', 'Later.Reply', {}, { timeoutMs: 2 ** 31 + 5000 }), 'ok');
});

test('hardening — a unary call to a stream endpoint, or a stream to a unary one, fails at once with 400', async () => {
  mesh = memoryMesh();
  const a = await mesh.node('a');
  await a.serve(defineService({ name: 'mixed', endpoints: { 'Mix.Unary': () => 1, 'Mix.Stream': { stream: async () => {} } } }));
  const b = await mesh.node('b');
  const t0 = performance.now();
  const e1 = await b.client.call('mixed', 'Mix.Stream', {}, { timeoutMs: 5000 }).catch((e: unknown) => e);
  assert.ok(e1 instanceof MicroError && e1.code === 400, String(e1));
  const s = await b.client.stream('mixed', 'Mix.Unary', { timeoutMs: 5000 }).catch((e: unknown) => e);
  const e2 = s instanceof MicroError ? s : await (s as { collect(): Promise<unknown> }).collect().catch((e: unknown) => e);
  assert.ok(e2 instanceof MicroError && e2.code === 400, String(e2));
  assert.ok(performance.now() - t0 < 2000);
});

test('hardening — opening a stream retries on another node when the first cannot be reached', async () => {
  mesh = memoryMesh();
  const a = await mesh.node('a');
  await a.serve(defineService({ name: 'echo', endpoints: { 'Echo.Stream': { stream: async (s) => { for await (const m of s) await s.send(m); } } } }));
  await mesh.registry.register({ name: 'echo', version: 'latest', metadata: {}, endpoints: [], nodes: [{ id: 'dead', address: 'mem://dead', metadata: {} }] });
  const client = await mesh.node('client');
  const deadFirst = { select: (nodes: readonly { id: string }[], o?: { exclude?: ReadonlySet<string> }) => nodes.find((n) => n.id === 'dead' && !o?.exclude?.has(n.id)) ?? nodes.find((n) => !o?.exclude?.has(n.id)) };
  const s = await client.client.stream<string, string>('echo', 'Echo.Stream', { selector: deadFirst as never });
  await s.send('still here');
  s.closeSend();
  assert.deepEqual(await s.collect(), ['still here']);
});

test('hardening — a flood of failing calls cannot take the node down: its other services keep serving', async () => {
  mesh = memoryMesh();
  // Deadlines and restart backoffs run on a simulated clock: the calls queued behind the dead service time out when
  // the test moves it past their deadline.
  const clock = createSimulatedClock();
  const a = await mesh.node('a', { system: { clock } });
  await a.serve(defineService({ name: 'fragile', endpoints: { 'Frag.Crash': () => { throw new Error('junk input'); } } }), { maxRestarts: 5, withinMs: 1000 });
  await a.serve(greeter);
  const b = await mesh.node('b', { system: { clock } });
  const flood = Array.from({ length: 400 }, () => b.client.call('fragile', 'Frag.Crash', {}, { timeoutMs: 3000 }).catch((e: unknown) => e));
  for (let i = 0; i < 20; i++) assert.equal((await b.client.call<{ msg: string }>('greeter', 'Say.Hello', { name: 'ok' })).msg, 'Hello ok');
  await passUntilSettled(clock, Promise.all(flood), 'the flood', 10_000, 100);
  assert.equal(a.system.terminated, false);
  const again = await passUntilSettled(clock, b.client.call('fragile', 'Frag.Crash', {}, { timeoutMs: 5000 }).catch((e: unknown) => e), 'a call after the flood', 10_000, 100);
  assert.ok(again instanceof MicroError);
  assert.match(again.detail, /junk input/, 'the fragile service is back: it answers (with its own error) instead of being gone');
});

test('hardening — junk messages that make an exposed actor fail are bounded by its mailbox and never stop the node', async () => {
  mesh = memoryMesh();
  const a = await mesh.node('a');
  await a.serve(greeter);
  const strict = a.system.spawn(
    (m: { n?: number }) => {
      if (typeof m.n !== 'number') throw new Error('junk');
    },
    { name: 'strict', mailbox: { capacity: 100 } },
  );
  a.expose(strict);
  const b = await mesh.node('b');
  const target = b.ref<unknown>('mesh://a/user/strict');
  for (let i = 0; i < 2000; i++) target.tell({ junk: i });
  for (let i = 0; i < 20; i++) assert.equal((await b.client.call<{ msg: string }>('greeter', 'Say.Hello', { name: 'up' })).msg, 'Hello up');
  await waitUntil(() => a.system.stats().deadLetters > 0, 3000, 'overflow counted as dead letters');
  assert.equal(a.system.terminated, false);
  const tree = await a.inspect();
  assert.ok(tree.children.every((c) => c.restarts === 0), 'the node’s own components never restarted');
});

test('hardening — a single instance stuck in a handler past its deadline is reported and restarted', async () => {
  mesh = memoryMesh();
  // The deadline, the stuck check and the instance's shutdown run on a simulated clock the test advances.
  const clock = createSimulatedClock();
  let hang = true;
  const a = await mesh.node('a', { system: { clock } });
  await a.serve(
    defineService({ name: 'stuck', endpoints: { 'Stuck.Work': async () => (hang ? new Promise(() => {}) : 'fine') } }),
    { stuck: { graceMs: 50, checkEveryMs: 25 }, instanceShutdownMs: 100 },
  );
  const b = await mesh.node('b', { system: { clock } });
  const first = await passUntilSettled(clock, b.client.call('stuck', 'Stuck.Work', {}, { timeoutMs: 100 }).catch((e: unknown) => e), 'the first call', 200);
  assert.ok(first instanceof MicroError && first.code === 408);
  hang = false;
  const logs = mesh.logs.get('a');
  await passUntil(clock, () => (logs?.entries ?? []).some((e) => /stuck in a handler/.test(e.message)), 'the stuck report', 1000);
  assert.equal(await passUntilSettled(clock, b.client.call('stuck', 'Stuck.Work', {}, { timeoutMs: 3000 }), 'a call after the restart', 3000), 'fine');
});

export type { ActorRef };
