import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSimulatedClock } from '../../../src/actors/clock.ts';
import { kernelOf } from '../../../src/actors/internal.ts';
import { createActorSystem } from '../../../src/supervisor/index.ts';
import { findActor as find } from '../../support/inspect.ts';
import { nextEvent, passUntilSettled } from '../../support/wait.ts';

test('snapshot — each actor with its state, behaviour class, mailbox depth and restarts, children in start order', async () => {
  // On a simulated clock, so that the stop of the worker stuck in its handler is waited out by advancing it.
  const clock = createSimulatedClock();
  const system = createActorSystem({ nodeId: 's', clock });
  try {
    class Worker {
      receive(): Promise<void> {
        return new Promise(() => {});
      }
    }
    const worker = system.spawn<string>(Worker, { name: 'worker' });
    for (let i = 0; i < 3; i++) worker.tell('job');
    const crashy = system.spawn<string>(
      () => {
        throw new Error('boom');
      },
      { name: 'crashy' },
    );
    const restarted = nextEvent(system, 'actor-restarted', (e) => e.actor === '/user/crashy');
    crashy.tell('x');
    await restarted;
    await new Promise((r) => setImmediate(r));
    const { root, truncated } = kernelOf(system).snapshot();
    assert.equal(truncated, false);
    assert.deepEqual([root.path, root.state], ['/', 'running']);
    assert.deepEqual(
      find(root, '/user')?.children.map((c) => c.name),
      ['worker', 'crashy'],
    );
    const w = find(root, '/user/worker');
    assert.deepEqual(w && { kind: w.kind, state: w.state, mailbox: w.mailbox, restarts: w.restarts }, { kind: 'Worker', state: 'running', mailbox: 2, restarts: 0 });
    assert.equal(find(root, '/user/crashy')?.restarts, 1);
  } finally {
    await passUntilSettled(clock, system.terminate(), 'the termination', 60_000, 1000);
  }
});

test('snapshot — bounded by actors (breadth first) and depth, counting what it leaves out', async () => {
  const system = createActorSystem({ nodeId: 's' });
  try {
    for (let i = 0; i < 50; i++) system.spawn(() => {}, { name: `a${i}` });
    const small = kernelOf(system).snapshot({ maxActors: 10 });
    assert.equal(small.actors, 10);
    assert.equal(small.truncated, true);
    const user = find(small.root, '/user');
    assert.equal((user?.children.length ?? 0) + (user?.omitted ?? 0), 50, 'shown plus omitted is every child');
    const shallow = kernelOf(system).snapshot({ maxDepth: 1 });
    assert.deepEqual(
      shallow.root.children.map((c) => [c.path, c.children.length, c.omitted]),
      [
        ['/user', 0, 50],
        ['/system', 0, undefined],
      ],
    );
  } finally {
    await system.terminate();
  }
});
