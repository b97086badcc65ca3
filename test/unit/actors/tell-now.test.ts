import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { type ActorSystem, fromFactory } from '../../../src/actors/index.ts';
import { kernelOf } from '../../../src/actors/internal.ts';
import { createActorSystem } from '../../../src/supervisor/index.ts';
import { deferred, waitUntil } from '../../support/wait.ts';

let system: ActorSystem;
afterEach(() => system?.terminate());

// As a transport's read callback would: off any actor's stack, after the event loop had a turn.
const onIoTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('tellNow — an idle actor handles the message before the send returns', async () => {
  system = createActorSystem();
  const seen: number[] = [];
  const ref = system.spawn((n: number) => {
    seen.push(n);
  });
  ref.tell(0);
  await waitUntil(() => seen.length === 1);
  await onIoTurn();
  assert.equal(kernelOf(system).tellNow(ref, 1), true);
  assert.deepEqual(seen, [0, 1]);
});

test('tellNow — behind queued messages or an async handler in flight, the message waits its turn', async () => {
  system = createActorSystem();
  const log: string[] = [];
  const gate = deferred();
  const ref = system.spawn(async (m: string) => {
    log.push(`start ${m}`);
    if (m === 'slow') await gate.promise;
    log.push(`end ${m}`);
  });
  ref.tell('warm');
  await waitUntil(() => log.length === 2);
  await onIoTurn();
  ref.tell('queued');
  kernelOf(system).tellNow(ref, 'after-queued');
  assert.deepEqual(log.slice(2), [], 'a queued message goes first, on the dispatcher');
  await waitUntil(() => log.length === 6);
  assert.deepEqual(log.slice(2), ['start queued', 'end queued', 'start after-queued', 'end after-queued']);
  await onIoTurn();
  kernelOf(system).tellNow(ref, 'slow');
  assert.deepEqual(log.slice(6), ['start slow'], 'an idle actor starts at once');
  kernelOf(system).tellNow(ref, 'next');
  await onIoTurn();
  assert.deepEqual(log.slice(6), ['start slow'], 'the next message waits for the async handler in flight');
  gate.resolve();
  await waitUntil(() => log.length === 10);
  assert.deepEqual(log.slice(6), ['start slow', 'end slow', 'start next', 'end next']);
});

test('tellNow — a send from inside a handler never runs another handler on its stack', async () => {
  system = createActorSystem();
  const log: string[] = [];
  const inner = system.spawn((m: string) => {
    log.push(`inner ${m}`);
  });
  const outer = system.spawn((m: string) => {
    log.push(`outer ${m} start`);
    kernelOf(system).tellNow(inner, m);
    log.push(`outer ${m} end`);
  });
  inner.tell('warm');
  outer.tell('warm');
  await waitUntil(() => log.length === 4);
  await onIoTurn();
  log.length = 0;
  kernelOf(system).tellNow(outer, 'x');
  assert.deepEqual(log, ['outer x start', 'outer x end'], 'inner is queued, not run inside outer');
  await waitUntil(() => log.length === 3);
  assert.equal(log[2], 'inner x');
});

test('tellNow — a handler that throws is supervised as with tell', async () => {
  system = createActorSystem();
  let starts = 0;
  const handled: string[] = [];
  const ref = system.spawn(
    fromFactory(() => {
      starts++;
      return {
        receive(m: string) {
          if (m === 'boom') throw new Error('boom');
          handled.push(m);
        },
      };
    }),
    { name: 'crashy' },
  );
  ref.tell('warm');
  await waitUntil(() => handled.length === 1);
  await onIoTurn();
  assert.equal(kernelOf(system).tellNow(ref, 'boom'), true);
  ref.tell('after');
  await waitUntil(() => handled.length === 2);
  assert.deepEqual(handled, ['warm', 'after']);
  assert.equal(starts, 2, 'restarted by its supervisor');
});

test('tellNow — past the dispatcher budget since the last event-loop turn, messages are queued', async () => {
  system = createActorSystem({ throughput: 10 });
  const seen: number[] = [];
  const ref = system.spawn((n: number) => {
    seen.push(n);
  });
  ref.tell(-1);
  await waitUntil(() => seen.length === 1);
  await onIoTurn();
  for (let i = 0; i < 25; i++) kernelOf(system).tellNow(ref, i);
  const atOnce = seen.length - 1;
  assert.ok(atOnce > 0 && atOnce <= 10, `${atOnce} ran at once: some, never more than the budget of 10`);
  await waitUntil(() => seen.length === 26);
  assert.deepEqual(seen, [-1, ...Array(25).keys()]);
});
