import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { type Actor, type ActorContext, type ActorSystem, type AnyRef, type Signal, Terminated } from '../../../src/actors/index.ts';
import { createActorSystem } from '../../../src/supervisor/index.ts';
import { waitUntil } from '../../support/wait.ts';

let system: ActorSystem;
afterEach(() => system?.terminate());

type Cmd = { type: 'watch' | 'unwatch'; ref: AnyRef };

function watcher(signals: Terminated[]) {
  return class implements Actor<Cmd> {
    receive(m: Cmd, ctx: ActorContext<Cmd>) {
      if (m.type === 'watch') ctx.watch(m.ref);
      else ctx.unwatch(m.ref);
    }
    onSignal(s: Signal) {
      signals.push(s);
    }
  };
}

test('watch — Terminated arrives once per watch, with the reason', async () => {
  system = createActorSystem();
  const signals: Terminated[] = [];
  const w = system.spawn(watcher(signals));
  const target = system.spawn((_m: unknown) => {});
  w.tell({ type: 'watch', ref: target });
  w.tell({ type: 'watch', ref: target });
  await new Promise((r) => setImmediate(r));
  await system.stop(target);
  await waitUntil(() => signals.length >= 1);
  await new Promise((r) => setImmediate(r));
  assert.equal(signals.length, 1);
  assert.ok(signals[0] instanceof Terminated);
  assert.equal(signals[0]?.ref, target);
  assert.deepEqual(signals[0]?.reason, { type: 'normal' });
});

test('watch — watching a dead actor delivers Terminated at once', async () => {
  system = createActorSystem();
  const signals: Terminated[] = [];
  const target = system.spawn((_m: unknown) => {});
  await system.stop(target);
  const w = system.spawn(watcher(signals));
  w.tell({ type: 'watch', ref: target });
  await waitUntil(() => signals.length === 1);
  const unknown = system.ref('mesh://elsewhere-not-resolvable/user/x');
  w.tell({ type: 'watch', ref: unknown });
  await waitUntil(() => signals.length === 2);
  assert.deepEqual(signals[1]?.reason, { type: 'unknown' });
});

test('watch — unwatch suppresses the Terminated signal', async () => {
  system = createActorSystem();
  const signals: Terminated[] = [];
  const w = system.spawn(watcher(signals));
  const target = system.spawn((_m: unknown) => {});
  const other = system.spawn((_m: unknown) => {});
  w.tell({ type: 'watch', ref: target });
  w.tell({ type: 'watch', ref: other });
  w.tell({ type: 'unwatch', ref: target });
  await new Promise((r) => setImmediate(r));
  await system.stop(target);
  await system.stop(other);
  await waitUntil(() => signals.length === 1);
  await new Promise((r) => setImmediate(r));
  assert.equal(signals.length, 1);
  assert.equal(signals[0]?.ref, other);
});

test('watch — a function behaviour receives Terminated as a message', async () => {
  system = createActorSystem();
  const got: unknown[] = [];
  const target = system.spawn((_m: unknown) => {});
  const w = system.spawn((m: unknown, ctx: ActorContext<unknown>) => {
    if (m === 'go') ctx.watch(target);
    else got.push(m);
  });
  w.tell('go');
  await new Promise((r) => setImmediate(r));
  await system.stop(target);
  await waitUntil(() => got.length === 1);
  assert.ok(got[0] instanceof Terminated);
});
