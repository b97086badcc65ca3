import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { type ActorContext, type ActorSystem, MailboxFullError } from '../../../src/actors/index.ts';
import { createActorSystem } from '../../../src/supervisor/index.ts';
import { collectEvents, deferred, waitUntil } from '../../support/wait.ts';

let system: ActorSystem;
afterEach(() => system?.terminate());

/** An actor that blocks on a gate for its first message, so its mailbox fills up behind it. */
function blockedActor(overflow: 'drop-newest' | 'drop-oldest' | 'reject' | 'backpressure', capacity: number) {
  const gate = deferred();
  const handled: number[] = [];
  const ref = system.spawn(
    async (n: number) => {
      if (n === 0) await gate.promise;
      handled.push(n);
    },
    { mailbox: { capacity, overflow } },
  );
  return { ref, gate, handled };
}

async function started(handledOrFirst: () => boolean) {
  await new Promise((r) => setImmediate(r));
  return handledOrFirst;
}

test('overflow — drop-newest drops the new messages and counts each as a dead letter', async () => {
  system = createActorSystem();
  const dead = collectEvents(system, 'dead-letter');
  const { ref, gate, handled } = blockedActor('drop-newest', 3);
  ref.tell(0);
  await started(() => true);
  for (let i = 1; i <= 10; i++) ref.tell(i);
  assert.equal(dead.events.length, 7);
  assert.deepEqual(dead.events.map((e) => e.message), [4, 5, 6, 7, 8, 9, 10]);
  assert.ok(dead.events.every((e) => e.reason === 'overflow'));
  gate.resolve();
  await waitUntil(() => handled.length === 4);
  assert.deepEqual(handled, [0, 1, 2, 3]);
});

test('overflow — drop-oldest drops the oldest queued messages, counted exactly', async () => {
  system = createActorSystem();
  const dead = collectEvents(system, 'dead-letter');
  const { ref, gate, handled } = blockedActor('drop-oldest', 3);
  ref.tell(0);
  await started(() => true);
  for (let i = 1; i <= 10; i++) ref.tell(i);
  assert.deepEqual(dead.events.map((e) => e.message), [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(system.stats().deadLetters, 7);
  gate.resolve();
  await waitUntil(() => handled.length === 4);
  assert.deepEqual(handled, [0, 8, 9, 10]);
});

test('overflow — reject fails only the send; the sending actor keeps running', async () => {
  system = createActorSystem();
  const { ref, gate } = blockedActor('reject', 2);
  ref.tell(0);
  await started(() => true);
  const results: boolean[] = [];
  const failures: unknown[] = [];
  system.events.on('actor-failed', (e) => failures.push(e.error));
  const sender = system.spawn((_m: 'go' | 'ping', ctx: ActorContext<'go' | 'ping'>) => {
    if (_m === 'go') for (let i = 1; i <= 4; i++) results.push(ref.tell(i) as boolean);
    else ctx.reply('alive');
  });
  sender.tell('go');
  assert.equal(await sender.ask('ping'), 'alive');
  assert.deepEqual(results, [true, true, false, false]);
  assert.equal(failures.length, 0);
  await assert.rejects(ref.ask(5), MailboxFullError);
  gate.resolve();
});

test('overflow — backpressure: the send promise resolves when space frees, in order', async () => {
  system = createActorSystem();
  const { ref, gate, handled } = blockedActor('backpressure', 2);
  ref.tell(0);
  await started(() => true);
  assert.equal(ref.tell(1), true);
  assert.equal(ref.tell(2), true);
  const third = ref.tell(3);
  const fourth = ref.tell(4);
  assert.ok(third instanceof Promise && fourth instanceof Promise);
  let settled = false;
  void third.then(() => {
    settled = true;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, 'resolved before any space freed');
  gate.resolve();
  assert.equal(await third, true);
  assert.equal(await fourth, true);
  await waitUntil(() => handled.length === 5);
  assert.deepEqual(handled, [0, 1, 2, 3, 4]);
  assert.equal(system.stats().deadLetters, 0);
});

test('mailbox — no overflow policy ever drops a system message; it overtakes a full user lane', async () => {
  for (const overflow of ['drop-newest', 'drop-oldest', 'reject', 'backpressure'] as const) {
    system = createActorSystem();
    const target = system.spawn((_m: unknown) => {});
    const gate = deferred();
    const seen: string[] = [];
    const watcher = system.spawn(
      async (m: unknown, ctx: ActorContext<unknown>) => {
        if (m === 'watch') ctx.watch(target);
        else if (m === 'block') await gate.promise;
        else seen.push(typeof m === 'object' && m !== null ? (m as { type: string }).type : String(m));
      },
      { mailbox: { capacity: 1, overflow } },
    );
    watcher.tell('watch');
    await new Promise((r) => setImmediate(r));
    watcher.tell('block');
    await new Promise((r) => setImmediate(r));
    watcher.tell('queued');
    void watcher.tell('overflowing');
    await system.stop(target);
    gate.resolve();
    await waitUntil(() => seen.includes('terminated') && seen.length >= 2, 2000, `${overflow}: Terminated`);
    assert.equal(seen[0], 'terminated', `${overflow}: the Terminated signal must overtake queued user messages`);
    await system.terminate();
  }
});
