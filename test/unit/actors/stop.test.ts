import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { type ActorSystem, ActorStoppedError, createSimulatedClock } from '../../../src/actors/index.ts';
import { createActorSystem } from '../../../src/supervisor/index.ts';
import { collectEvents, deferred, settlesSoon, waitUntil } from '../../support/wait.ts';

let system: ActorSystem;
afterEach(() => system?.terminate());

test('stop — queued user messages become dead letters; system messages overtake them', async () => {
  system = createActorSystem();
  const dead = collectEvents(system, 'dead-letter');
  const gate = deferred();
  const handled: number[] = [];
  const ref = system.spawn(async (n: number) => {
    if (n === 0) await gate.promise;
    handled.push(n);
  });
  ref.tell(0);
  await new Promise((r) => setImmediate(r));
  for (let i = 1; i <= 5; i++) ref.tell(i);
  const stopped = system.stop(ref);
  gate.resolve();
  await stopped;
  assert.deepEqual(handled, [0], 'the stop must overtake the five queued messages');
  assert.deepEqual(dead.events.map((e) => [e.message, e.reason]), [1, 2, 3, 4, 5].map((n) => [n, 'unprocessed']));
});

test('stop — a graceful stop drains the queue first', async () => {
  system = createActorSystem();
  const handled: number[] = [];
  const ref = system.spawn((n: number) => {
    handled.push(n);
  });
  for (let i = 0; i < 100; i++) ref.tell(i);
  await system.stop(ref, { drain: true });
  assert.equal(handled.length, 100);
  assert.equal(system.stats().deadLetters, 0);
  assert.equal(ref.tell(1), false);
});

test('stop — telling a stopped actor gives exactly one dead-letter event; asking it fails at once', async () => {
  system = createActorSystem({ clock: createSimulatedClock() });
  const ref = system.spawn((_n: number) => {});
  const address = ref.address;
  await system.stop(ref);
  const dead = collectEvents(system, 'dead-letter');
  assert.equal(ref.tell(1), false);
  assert.equal(dead.events.length, 1);
  assert.equal(dead.events[0]?.reason, 'stopped');
  const byAddress = system.ref<number>(address);
  byAddress.tell(2);
  assert.equal(dead.events.length, 2);
  assert.equal(dead.events[1]?.reason, 'unknown');
  // The simulated clock never advances: an ask that waited for its timeout would not settle.
  await assert.rejects(settlesSoon(ref.ask(3, { timeoutMs: 60_000 })), ActorStoppedError);
  await assert.rejects(settlesSoon(byAddress.ask(4, { timeoutMs: 60_000 })), ActorStoppedError);
  assert.equal(system.stats().liveAsks, 0);
});

test('stop — asks still queued when an actor stops fail at once instead of timing out', async () => {
  system = createActorSystem({ clock: createSimulatedClock() });
  const gate = deferred();
  const ref = system.spawn(async (n: number) => {
    if (n === 0) await gate.promise;
  });
  ref.tell(0);
  await new Promise((r) => setImmediate(r));
  const pending = ref.ask(1, { timeoutMs: 60_000 });
  const stopped = system.stop(ref);
  gate.resolve();
  await stopped;
  await assert.rejects(settlesSoon(pending), ActorStoppedError);
  await waitUntil(() => system.stats().liveAsks === 0);
});
