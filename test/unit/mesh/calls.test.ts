import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createSimulatedClock } from '../../../src/actors/clock.ts';
import { MicroError } from '../../../src/mesh/errors.ts';
import { defineService } from '../../../src/mesh/service.ts';
import { memoryMesh } from '../../support/mesh.ts';
import { deferred, pass, settlesSoon, turns, waitUntil } from '../../support/wait.ts';

let mesh: ReturnType<typeof memoryMesh>;
afterEach(() => mesh?.close());

const greeter = defineService({
  name: 'greeter',
  version: '1.0.0',
  endpoints: {
    'Say.Hello': (req: { name: string }, ctx) => ({ msg: `Hello ${req.name}`, caller: ctx.caller, trace: ctx.metadata.traceparent }),
    'Say.Fail': () => {
      throw new Error('handler broke');
    },
    'Say.Reject': () => {
      throw new MicroError('CONFLICT', 'already greeted');
    },
  },
});

test('rpc — a call finds the service through the registry and gets a typed reply with metadata', async () => {
  mesh = memoryMesh();
  const server = await mesh.node('server');
  const client = await mesh.node('client');
  await server.serve(greeter);
  const typed = client.client.typed(greeter);
  const reply = await typed.call('Say.Hello', { name: 'Ada' }, { metadata: { traceparent: '00-abc-def-01' } });
  assert.deepEqual(reply, { msg: 'Hello Ada', caller: 'client', trace: '00-abc-def-01' });
});

test('rpc — an unknown service is a 404 naming it, at once', async () => {
  mesh = memoryMesh();
  const client = await mesh.node('client');
  const started = performance.now();
  const err = await client.client.call('nowhere', 'Say.Hello', {}, { timeoutMs: 10_000 }).catch((e: unknown) => e);
  const elapsed = performance.now() - started;
  assert.ok(err instanceof MicroError);
  assert.equal(err.code, 404);
  assert.equal(err.reason, 'SERVICE_NOT_FOUND');
  assert.match(err.detail, /nowhere/);
  assert.ok(elapsed < 50, `took ${elapsed.toFixed(1)} ms`);
});

test('rpc — an unknown endpoint is a 404 naming it', async () => {
  mesh = memoryMesh();
  const server = await mesh.node('server');
  const client = await mesh.node('client');
  await server.serve(greeter);
  const err = await client.client.call('greeter', 'Say.Nothing', {}).catch((e: unknown) => e);
  assert.ok(err instanceof MicroError);
  assert.equal(err.code, 404);
  assert.equal(err.reason, 'ENDPOINT_NOT_FOUND');
  assert.match(err.detail, /Say\.Nothing/);
});

test('rpc — a failing handler gives a 500 and its instance is restarted, not a hang', async () => {
  mesh = memoryMesh();
  const server = await mesh.node('server');
  const client = await mesh.node('client');
  await server.serve(greeter);
  const restarts: string[] = [];
  server.system.events.on('actor-restarted', (e) => restarts.push(e.actor));
  const err = await client.client.call('greeter', 'Say.Fail', {}, { timeoutMs: 5000 }).catch((e: unknown) => e);
  assert.ok(err instanceof MicroError);
  assert.equal(err.code, 500);
  assert.match(err.detail, /handler broke/);
  await waitUntil(() => restarts.length === 1);
  assert.match(restarts[0] as string, /\/user\/services\/greeter\/instance-1$/);
  assert.equal((await client.client.call<{ msg: string }>('greeter', 'Say.Hello', { name: 'again' })).msg, 'Hello again');
});

test('rpc — a MicroError below 500 is an answer, not a failure', async () => {
  mesh = memoryMesh();
  const server = await mesh.node('server');
  const client = await mesh.node('client');
  await server.serve(greeter);
  let failures = 0;
  server.system.events.on('actor-failed', () => failures++);
  const err = await client.client.call('greeter', 'Say.Reject', {}).catch((e: unknown) => e);
  assert.ok(err instanceof MicroError);
  assert.equal(err.code, 409);
  assert.equal(failures, 0);
});

test('rpc — the deadline reaches the handler as an AbortSignal; a slow handler runs exactly once', async () => {
  mesh = memoryMesh();
  // The nodes' deadlines run on one simulated clock: the call times out when the test moves it, not on a real timer.
  const clock = createSimulatedClock();
  let runs = 0;
  const entered = deferred();
  const aborted = deferred<unknown>();
  const release = deferred();
  const slow = defineService({
    name: 'slow',
    endpoints: {
      'Slow.Work': async (_req: unknown, ctx) => {
        runs++;
        ctx.signal.addEventListener('abort', () => aborted.resolve(ctx.signal.reason));
        entered.resolve();
        await release.promise;
        return 'late';
      },
    },
  });
  const a = await mesh.node('a', { system: { clock } });
  const b = await mesh.node('b', { system: { clock } });
  await a.serve(slow);
  await b.serve(slow);
  const client = await mesh.node('client', { system: { clock } });
  const call = client.client.call('slow', 'Slow.Work', {}, { timeoutMs: 80, retries: 5 }).catch((e: unknown) => e);
  await entered.promise;
  await pass(clock, 100);
  const err = await settlesSoon(call, 'the call past its deadline');
  assert.ok(err instanceof MicroError);
  assert.equal(err.code, 408);
  const reason = await settlesSoon(aborted.promise, 'the abort of the handler');
  assert.ok(reason instanceof MicroError);
  await turns(20);
  assert.equal(runs, 1, 'the slow handler ran more than once');
  release.resolve(); // the late answer arrives after the caller gave up
  await pass(clock, 1000);
  assert.equal(runs, 1, 'the late answer started another run');
});

test('rpc — aborting a call cancels it on the server', async () => {
  mesh = memoryMesh();
  const aborted = deferred<unknown>();
  const started = deferred();
  const svc = defineService({
    name: 'work',
    endpoints: {
      'Work.Long': async (_req: unknown, ctx) => {
        const gone = new Promise((r) => ctx.signal.addEventListener('abort', r));
        ctx.signal.addEventListener('abort', () => aborted.resolve(ctx.signal.reason));
        started.resolve();
        await gone;
      },
    },
  });
  const server = await mesh.node('server');
  await server.serve(svc);
  const client = await mesh.node('client');
  const ac = new AbortController();
  const call = client.client.call('work', 'Work.Long', {}, { signal: ac.signal }).catch((e: unknown) => e);
  await started.promise;
  ac.abort();
  const err = await call;
  assert.ok(err instanceof MicroError);
  assert.equal(err.reason, 'CANCELLED');
  const reason = (await aborted.promise) as MicroError;
  assert.equal(reason.reason, 'CANCELLED');
});

test('rpc — msgpack and octet-stream bodies are chosen per call by content type', async () => {
  mesh = memoryMesh();
  const server = await mesh.node('server');
  const client = await mesh.node('client');
  const echo = defineService({ name: 'echo', endpoints: { 'Echo.Any': (req: unknown) => req } });
  await server.serve(echo);
  const value = { n: 1, s: 'x', list: [1, 2, 3], nested: { ok: true } };
  assert.deepEqual(await client.client.call('echo', 'Echo.Any', value, { contentType: 'application/msgpack' }), value);
  const bytes = new Uint8Array([1, 2, 3, 250]);
  const back = (await client.client.call('echo', 'Echo.Any', bytes, { contentType: 'application/octet-stream' })) as Uint8Array;
  assert.deepEqual([...back], [1, 2, 3, 250]);
  const err = await client.client.call('echo', 'Echo.Any', {}, { contentType: 'application/x-unknown' }).catch((e: unknown) => e);
  assert.ok(err instanceof MicroError);
  assert.equal(err.code, 400);
});

test('rpc — round-robin spreads calls over the nodes of a service', async () => {
  mesh = memoryMesh();
  const servers = await Promise.all(['s1', 's2', 's3'].map((id) => mesh.node(id)));
  const served: Record<string, number> = {};
  for (const s of servers) {
    await s.serve(defineService({ name: 'who2', endpoints: { 'Who.Am': () => s.id } }));
  }
  const client = await mesh.node('client');
  for (let i = 0; i < 30; i++) {
    const id = await client.client.call<string>('who2', 'Who.Am', {}, { selector: 'round-robin' });
    served[id] = (served[id] ?? 0) + 1;
  }
  assert.deepEqual(served, { s1: 10, s2: 10, s3: 10 });
});

test('rpc — bodies over the offload threshold are decoded in the worker pool on both sides', async () => {
  mesh = memoryMesh();
  const server = await mesh.node('server', { codecs: { offloadThresholdBytes: 1024 } });
  const client = await mesh.node('client', { codecs: { offloadThresholdBytes: 1024 } });
  await server.serve(defineService({ name: 'big', endpoints: { 'Big.Echo': (req: { data: string }) => req } }));
  const data = 'y'.repeat(50_000);
  assert.equal(((await client.client.call('big', 'Big.Echo', { data })) as { data: string }).data, data);
  assert.ok(server.codecs.stats().offloaded >= 1, 'the server decoded the request on the main thread');
  assert.ok(client.codecs.stats().offloaded >= 1, 'the client decoded the response on the main thread');
  const small = await client.client.call('big', 'Big.Echo', { data: 'x' });
  assert.deepEqual(small, { data: 'x' });
});
