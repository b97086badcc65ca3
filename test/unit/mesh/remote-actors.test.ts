import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { type ActorContext, type ActorRef, type AnyRef, type Ask, Terminated } from '../../../src/actors/index.ts';
import { MicroError } from '../../../src/mesh/errors.ts';
import { memoryMesh } from '../../support/mesh.ts';
import { deferred, waitUntil } from '../../support/wait.ts';

let mesh: ReturnType<typeof memoryMesh>;
afterEach(() => mesh?.close());

type Msg = { type: 'hello'; replyTo: ActorRef<string> } | ({ type: 'add'; a: number; b: number } & Ask<number>);

test('remote actors — tell and ask an actor on another node; a ref inside a message stays usable', async () => {
  mesh = memoryMesh();
  const a = await mesh.node('a');
  const b = await mesh.node('b');
  const calc = a.system.spawn(
    (m: Msg, ctx: ActorContext<Msg>) => {
      if (m.type === 'add') ctx.reply(m.a + m.b);
      else m.replyTo.tell(`hello from ${ctx.self.address.split('#')[0]} (headers ${JSON.stringify(ctx.headers)})`);
    },
    { name: 'calc' },
  );
  a.expose(calc);
  const remote = b.ref<Msg>('mesh://a/user/calc');
  const sum: number = await remote.ask({ type: 'add', a: 2, b: 3 });
  assert.equal(sum, 5);
  const got = deferred<string>();
  const inbox = b.system.spawn((m: string) => got.resolve(m), { name: 'inbox' });
  remote.tell({ type: 'hello', replyTo: inbox }, { headers: { traceparent: 't1' } });
  assert.equal(await got.promise, 'hello from mesh://a/user/calc (headers {"traceparent":"t1"})');
});

test('remote actors — an ask to nothing on another node fails at once with a 404', async () => {
  mesh = memoryMesh();
  await mesh.node('a');
  const b = await mesh.node('b');
  const started = performance.now();
  const err = await b.ref('mesh://a/user/nobody').ask({ type: 'x' }, { timeoutMs: 10_000 }).catch((e: unknown) => e);
  assert.ok(err instanceof MicroError);
  assert.equal(err.code, 404);
  assert.ok(performance.now() - started < 5000);
});

test('remote actors — watching an actor on a node that goes away delivers Terminated', async () => {
  mesh = memoryMesh();
  const a = await mesh.node('a');
  const b = await mesh.node('b');
  a.expose(a.system.spawn((_m: unknown) => {}, { name: 'target' }));
  const target = b.ref('mesh://a/user/target');
  const signals: Terminated[] = [];
  let watching = false;
  const watcher = b.system.spawn((m: unknown, ctx: ActorContext<unknown>) => {
    if (m === 'watch') {
      ctx.watch(target as AnyRef);
      watching = true;
    } else if (m instanceof Terminated) signals.push(m);
  });
  await target.ask({ type: 'ping' }, { timeoutMs: 200 }).catch(() => {});
  watcher.tell('watch');
  await waitUntil(() => watching, 2000, 'the watch');
  await a.stop();
  await waitUntil(() => signals.length === 1, 3000, 'Terminated');
  assert.equal(signals[0]?.ref.path, '/user/target');
});
