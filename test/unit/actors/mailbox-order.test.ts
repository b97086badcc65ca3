import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { type ActorContext, type ActorSystem, fromFactory } from '../../../src/actors/index.ts';
import { createActorSystem } from '../../../src/supervisor/index.ts';
import { deferred, waitUntil } from '../../support/wait.ts';

let system: ActorSystem;
afterEach(() => system?.terminate());

test('mailbox — messages from each sender arrive in the order sent', async () => {
  system = createActorSystem();
  const seen: Array<[string, number]> = [];
  const sink = system.spawn((m: [string, number]) => {
    seen.push(m);
  });
  const a = system.spawn((n: number) => {
    sink.tell(['a', n]);
  });
  const b = system.spawn((n: number) => {
    sink.tell(['b', n]);
  });
  for (let i = 0; i < 1000; i++) {
    a.tell(i);
    b.tell(i);
  }
  await waitUntil(() => seen.length === 2000);
  for (const who of ['a', 'b']) {
    const order = seen.filter(([s]) => s === who).map(([, n]) => n);
    assert.deepEqual(order, [...Array(1000).keys()]);
  }
});

test('mailbox — an async handler holds the next message until it settles', async () => {
  system = createActorSystem();
  const log: string[] = [];
  const gates = [deferred(), deferred()];
  const ref = system.spawn(async (n: number) => {
    log.push(`start ${n}`);
    await gates[n]?.promise;
    log.push(`end ${n}`);
  });
  ref.tell(0);
  ref.tell(1);
  await waitUntil(() => log.length === 1);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(log, ['start 0'], 'message 1 must wait while message 0 is in flight');
  gates[0]?.resolve();
  await waitUntil(() => log.length === 3);
  assert.deepEqual(log, ['start 0', 'end 0', 'start 1']);
  gates[1]?.resolve();
  await waitUntil(() => log.length === 4);
});

test('mailbox — a message to self is handled after the current one', async () => {
  system = createActorSystem();
  const log: string[] = [];
  const ref = system.spawn(
    fromFactory((_ctx: ActorContext<string>) => ({
      receive(m: string, ctx: ActorContext<string>) {
        if (m === 'first') {
          ctx.self.tell('self');
          log.push('first handled');
        } else log.push(m);
      },
    })),
  );
  ref.tell('first');
  ref.tell('second');
  await waitUntil(() => log.length === 3);
  assert.deepEqual(log, ['first handled', 'second', 'self']);
});

test('dispatcher — a setImmediate callback runs during a 100k-message ping-pong', async () => {
  system = createActorSystem();
  const done = deferred<number>();
  let immediateRanAt = -1;
  let exchanged = 0;
  type Ball = { n: number; from: import('../../../src/actors/index.ts').ActorRef<Ball> };
  const player = (_m: Ball, ctx: ActorContext<Ball>) => {
    const m = _m;
    exchanged++;
    if (m.n >= 100_000) done.resolve(exchanged);
    else m.from.tell({ n: m.n + 1, from: ctx.self });
  };
  const ping = system.spawn(player);
  const pong = system.spawn(player);
  setImmediate(() => {
    immediateRanAt = exchanged;
  });
  ping.tell({ n: 0, from: pong });
  const total = await done.promise;
  assert.ok(immediateRanAt >= 0, 'the setImmediate callback never ran during the ping-pong');
  assert.ok(immediateRanAt < total, `setImmediate ran only after the ping-pong (${immediateRanAt} of ${total})`);
});

test('dispatcher — async handlers that resolve at once still let setImmediate run', async () => {
  system = createActorSystem();
  let count = 0;
  let immediateRanAt = -1;
  const ref = system.spawn(async (_n: number, ctx: ActorContext<number>) => {
    count++;
    if (count < 20_000) ctx.self.tell(count);
  });
  setImmediate(() => {
    immediateRanAt = count;
  });
  ref.tell(0);
  await waitUntil(() => count === 20_000, 10_000);
  assert.ok(immediateRanAt >= 0 && immediateRanAt < 20_000, `immediate ran at ${immediateRanAt}`);
});
