import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { ActorContext, Ask } from '../../../src/actors/index.ts';
import { MicroError } from '../../../src/mesh/errors.ts';
import { compose, type Middleware } from '../../../src/mesh/middleware/middleware.ts';
import type { Selector } from '../../../src/mesh/selector/selector.ts';
import { defineService } from '../../../src/mesh/service.ts';
import { memoryMesh } from '../../support/mesh.ts';
import { deferred, waitUntil } from '../../support/wait.ts';

let mesh: ReturnType<typeof memoryMesh>;
afterEach(() => mesh?.close());

/** A middleware that counts every hook it sees, tags outbound calls and messages, and denies calls marked so. */
function auditor(name: string) {
  const seen: string[] = [];
  const mw: Middleware = {
    name,
    call: (next) => (call) => {
      seen.push(`call ${call.service} ${call.endpoint}`);
      call.metadata = { ...call.metadata, 'x-tag': name };
      return next(call);
    },
    attempt: (next) => (a) => {
      seen.push(`attempt ${a.call.endpoint} #${a.number} on ${a.node.id}${a.local ? ' (local)' : ''}`);
      return next(a);
    },
    stream: (next) => (call) => {
      seen.push(`stream ${call.service} ${call.endpoint}`);
      call.metadata = { ...call.metadata, 'x-tag': name };
      return next(call);
    },
    handler: (next) => (req, ctx) => {
      seen.push(`handler ${ctx.endpoint} tag=${ctx.metadata['x-tag']}`);
      if (ctx.metadata['x-deny'] === 'yes') throw new MicroError('FORBIDDEN', `${name} denies ${ctx.service} ${ctx.endpoint}`);
      return next(req, ctx);
    },
    serveStream: (next) => (stream, ctx) => {
      seen.push(`serveStream ${ctx.endpoint} tag=${ctx.metadata['x-tag']}`);
      return next(stream, ctx);
    },
    send: (next) => (m) => {
      seen.push(`send to ${m.to}`);
      m.metadata = { ...m.metadata, 'x-tag': name };
      next(m);
    },
    receive: (next) => (m) => {
      seen.push(`receive at ${m.to} from ${m.caller} tag=${m.metadata['x-tag']}`);
      if (m.metadata['x-deny'] === 'yes') throw new MicroError('FORBIDDEN', 'no messages for you');
      next(m);
    },
  };
  return { mw, seen };
}

const greeter = defineService({
  name: 'greeter',
  endpoints: {
    'Say.Hello': (req: { name: string }) => ({ msg: `Hello ${req.name}` }),
    'Say.Stream': { stream: async (s) => { for await (const m of s) await s.send(`hi ${m as string}`); } },
  },
});

type Calc = { type: 'add'; a: number; b: number } & Ask<number>;

test('middleware — sees every call, attempt, stream and remote actor message on both sides, and can deny an inbound call', async () => {
  mesh = memoryMesh();
  const onServer = auditor('server-mw');
  const onClient = auditor('client-mw');
  const server = await mesh.node('server', { middleware: [onServer.mw] });
  const client = await mesh.node('client', { middleware: [onClient.mw] });
  await server.serve(greeter);
  const calc = server.system.spawn((m: Calc, ctx: ActorContext<Calc>) => ctx.reply(m.a + m.b), { name: 'calc' });
  server.expose(calc);

  for (const name of ['a', 'b', 'c']) assert.equal((await client.client.call<{ msg: string }>('greeter', 'Say.Hello', { name })).msg, `Hello ${name}`);
  const s = await client.client.stream<string, string>('greeter', 'Say.Stream');
  await s.send('x');
  s.closeSend();
  assert.deepEqual(await s.collect(), ['hi x']);
  assert.equal(await client.ref<Calc>('mesh://server/user/calc').ask({ type: 'add', a: 1, b: 2 }), 3);

  const denied = await client.client.call('greeter', 'Say.Hello', { name: 'z' }, { metadata: { 'x-deny': 'yes' } }).catch((e: unknown) => e);
  assert.ok(denied instanceof MicroError);
  assert.equal(denied.code, 403);
  assert.match(denied.detail, /server-mw denies greeter Say.Hello/);

  const count = (list: string[], prefix: string) => list.filter((l) => l.startsWith(prefix)).length;
  assert.equal(count(onClient.seen, 'call greeter Say.Hello'), 4);
  assert.equal(count(onClient.seen, 'attempt Say.Hello #1 on server'), 4);
  assert.equal(count(onClient.seen, 'stream greeter Say.Stream'), 1);
  assert.equal(count(onClient.seen, 'attempt Say.Stream #1 on server'), 1);
  assert.equal(count(onClient.seen, 'send to mesh://server/user/calc'), 1);
  assert.equal(count(onServer.seen, 'handler Say.Hello tag=client-mw'), 4);
  assert.equal(count(onServer.seen, 'serveStream Say.Stream tag=client-mw'), 1);
  assert.equal(count(onServer.seen, 'receive at /user/calc from client tag=client-mw'), 1);
  // The reply to the ask crosses back: the server sends it, the client receives it.
  await waitUntil(() => count(onClient.seen, 'receive at /temp/') === 1, 2000, 'the reply through receive');
  assert.equal(count(onServer.seen, 'send to mesh://client/temp/'), 1);
});

test('middleware — an inbound actor message a middleware rejects fails the ask with its error', async () => {
  mesh = memoryMesh();
  const onServer = auditor('guard');
  const server = await mesh.node('server', { middleware: [onServer.mw] });
  const client = await mesh.node('client');
  server.expose(server.system.spawn((m: Calc, ctx: ActorContext<Calc>) => ctx.reply(m.a + m.b), { name: 'calc' }));
  const err = await client
    .ref<Calc>('mesh://server/user/calc')
    .ask({ type: 'add', a: 1, b: 1 }, { headers: { 'x-deny': 'yes' }, timeoutMs: 2000 })
    .catch((e: unknown) => e);
  assert.ok(err instanceof MicroError);
  assert.equal(err.code, 403);
});

test('middleware — per-service middleware runs inside the node’s; the attempt hook sees each node tried', async () => {
  mesh = memoryMesh();
  const order: string[] = [];
  const outer: Middleware = { name: 'outer', handler: (next) => (r, c) => (order.push('outer'), next(r, c)) };
  const inner: Middleware = { name: 'inner', handler: (next) => (r, c) => (order.push('inner'), next(r, c)) };
  const attempts = auditor('attempts');
  const a = await mesh.node('a', { middleware: [outer] });
  const client = await mesh.node('client', { middleware: [attempts.mw] });
  await a.serve(greeter);
  // A registered node nobody listens for: the first attempt fails to connect, the retry goes to a.
  await mesh.registry.register({ name: 'greeter', version: 'latest', metadata: {}, endpoints: [], nodes: [{ id: 'ghost', address: 'mem://ghost', metadata: {} }] });
  const ghostFirst: Selector = { select: (nodes, o) => nodes.find((n) => n.id === 'ghost' && !o?.exclude?.has(n.id)) ?? nodes.find((n) => !o?.exclude?.has(n.id)) };
  await client.client.call('greeter', 'Say.Hello', { name: 'n' }, { selector: ghostFirst });
  assert.deepEqual(
    attempts.seen.filter((l) => l.startsWith('attempt')),
    ['attempt Say.Hello #1 on ghost', 'attempt Say.Hello #2 on a'],
  );
  await a.stop();
  const b = await mesh.node('b', { middleware: [outer] });
  await b.serve(greeter, { middleware: [inner] });
  await client.client.call('greeter', 'Say.Hello', { name: 'n' }, { selector: ghostFirst });
  assert.deepEqual(order.slice(-2), ['outer', 'inner']);
});

test('middleware — an empty chain is the terminal itself; hooks wrap outermost first', async () => {
  const terminal = async (x: unknown) => x;
  assert.equal(compose([], 'call', terminal as never), terminal);
  const trail: string[] = [];
  const mk = (n: string): Middleware => ({ name: n, call: (next) => (c) => (trail.push(n), next(c)) });
  const chain = compose([mk('1'), mk('2'), { name: 'none' }], 'call', async () => trail.push('end'));
  await chain({} as never);
  assert.deepEqual(trail, ['1', '2', 'end']);
});

test('middleware — attempt hooks: one that passes the attempt on sees the outcome before the caller; one that maps it, or tries twice, is obeyed', async () => {
  mesh = memoryMesh();
  const a = await mesh.node('a');
  const half = (n: number) => {
    if (n % 2 !== 0) throw new MicroError('BAD_REQUEST', 'odd');
    return n / 2;
  };
  await a.serve(defineService({ name: 'calc', endpoints: { 'Calc.Half': half } }));
  const trail: string[] = [];
  const observer: Middleware = {
    name: 'observer',
    attempt: (next) => (attempt) => {
      const outcome = next(attempt);
      outcome.then(
        (v) => trail.push(`saw ${v}`),
        (e: MicroError) => trail.push(`saw ${e.code}`),
      );
      return outcome;
    },
  };
  const observed = await mesh.node('observed', { middleware: [observer] });
  trail.push(`caller ${await observed.client.call('calc', 'Calc.Half', 8)}`);
  const odd = (await observed.client.call('calc', 'Calc.Half', 3).catch((e: unknown) => e)) as MicroError;
  trail.push(`caller ${odd.code}`);
  assert.deepEqual(trail, ['saw 4', 'caller 4', 'saw 400', 'caller 400']);

  // Passed on with nothing hung on it: a failure reaches the caller and is no unhandled rejection.
  const passing = await mesh.node('passing', { middleware: [{ name: 'pass', attempt: (next) => (attempt) => next(attempt) }] });
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  process.on('unhandledRejection', onRejection);
  try {
    assert.equal(((await passing.client.call('calc', 'Calc.Half', 5).catch((e: unknown) => e)) as MicroError).code, 400);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(rejections, []);
  } finally {
    process.off('unhandledRejection', onRejection);
  }

  const doubling = await mesh.node('doubling', { middleware: [{ name: 'double', attempt: (next) => async (attempt) => ((await next(attempt)) as number) * 2 }] });
  assert.equal(await doubling.client.call('calc', 'Calc.Half', 8), 8);

  let answers = 0;
  const hedge: Middleware = {
    name: 'hedge',
    attempt: (next) => (attempt) => {
      const first = next(attempt);
      void next(attempt).then(() => answers++);
      return first.then((v) => {
        answers++;
        return v;
      });
    },
  };
  const twice = await mesh.node('twice', { middleware: [hedge] });
  const sameOnce: Middleware = { name: 'same', attempt: (next) => (attempt) => {
    const first = next(attempt);
    void next(attempt).then(() => answers++);
    return first;
  } };
  const once = await mesh.node('once', { middleware: [sameOnce] });
  assert.equal(await twice.client.call('calc', 'Calc.Half', 10), 5);
  assert.equal(await once.client.call('calc', 'Calc.Half', 12), 6);
  await waitUntil(() => answers === 3, 2000, 'both tries of each hedged attempt answered');
});

test('middleware — with an attempt hook, a call its caller aborts is cancelled on the server', async () => {
  mesh = memoryMesh();
  const server = await mesh.node('server');
  const started = deferred();
  const aborted = deferred<unknown>();
  await server.serve(
    defineService({
      name: 'slow',
      endpoints: {
        'Slow.Work': (_req: unknown, ctx) => {
          ctx.signal.addEventListener('abort', () => aborted.resolve(ctx.signal.reason));
          started.resolve();
          return new Promise(() => {});
        },
      },
    }),
  );
  const client = await mesh.node('client', { middleware: [{ name: 'pass', attempt: (next) => (attempt) => next(attempt) }] });
  const controller = new AbortController();
  const call = client.client.call('slow', 'Slow.Work', {}, { timeoutMs: 30_000, signal: controller.signal }).catch((e: unknown) => e);
  await started.promise;
  controller.abort();
  assert.equal(((await call) as MicroError).reason, 'CANCELLED');
  const reason = (await aborted.promise) as MicroError;
  assert.equal(reason.reason, 'CANCELLED', 'the server heard the cancel, well before the deadline');
});
