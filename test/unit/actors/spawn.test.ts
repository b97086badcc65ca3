import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { type ActorContext, type ActorSystem, fromFactory, InvalidActorNameError } from '../../../src/actors/index.ts';
import { createActorSystem } from '../../../src/supervisor/index.ts';
import { waitUntil } from '../../support/wait.ts';

let system: ActorSystem;
afterEach(() => system?.terminate());

type Cmd = { type: 'spawn'; count: number; done: () => void };

test('spawn — 10k children under one parent: time per spawn does not grow with the number of siblings', async () => {
  system = createActorSystem();
  const timings: number[] = [];
  const parent = system.spawn(
    fromFactory((_ctx: ActorContext<Cmd>) => ({
      receive(m: Cmd, ctx: ActorContext<Cmd>) {
        const t = performance.now();
        for (let i = 0; i < m.count; i++) ctx.spawn((_x: unknown) => {});
        timings.push(performance.now() - t);
        m.done();
      },
    })),
    { mailbox: { capacity: 100 } },
  );
  const batch = (count: number) => new Promise<void>((done) => parent.tell({ type: 'spawn', count, done }));
  for (let i = 0; i < 10; i++) await batch(1000);
  const early = Math.min(...timings.slice(0, 3));
  const late = Math.min(...timings.slice(7));
  // Quadratic spawning (a scan of siblings per spawn) makes the last batches ~7x slower than the first.
  assert.ok(late < early * 3 + 2, `first batches ${early.toFixed(2)} ms, last ${late.toFixed(2)} ms per 1000 spawns`);
  await waitUntil(() => system.stats().actors === 10_001, 5000, 'all children alive');
});

test('spawn — names are unique among siblings and validated', async () => {
  system = createActorSystem();
  system.spawn((_m: unknown) => {}, { name: 'a' });
  assert.throws(() => system.spawn((_m: unknown) => {}, { name: 'a' }), InvalidActorNameError);
  assert.throws(() => system.spawn((_m: unknown) => {}, { name: 'bad/name' }), InvalidActorNameError);
  assert.throws(() => system.spawn((_m: unknown) => {}, { name: '$reserved' }), InvalidActorNameError);
  const anon = system.spawn((_m: unknown) => {});
  assert.match(anon.path, /^\/user\/\$[0-9a-z]+$/);
});
