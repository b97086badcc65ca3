import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { type Actor, type ActorContext, type ActorSystem, type Ask, createSimulatedClock } from '../../../src/actors/index.ts';
import { createActorSystem } from '../../../src/supervisor/index.ts';
import { collectEvents, deferred, nextEvent, turns, turnsUntil } from '../../support/wait.ts';

let system: ActorSystem;
afterEach(() => system?.terminate());

type Msg = { type: 'add'; n: number } | { type: 'boom' } | ({ type: 'get' } & Ask<number[]>) | { type: 'tick'; incarnation: number } | { type: 'arm' };

const ticks: Array<{ from: number; handledBy: number }> = [];

class Keeper implements Actor<Msg> {
  items: number[] = [];
  receive(m: Msg, ctx: ActorContext<Msg>) {
    switch (m.type) {
      case 'add':
        this.items.push(m.n);
        return;
      case 'boom':
        throw new Error('boom');
      case 'get':
        return ctx.reply(this.items);
      case 'arm':
        ctx.timers.startSingle('t', { type: 'tick', incarnation: ctx.incarnation }, 30);
        ctx.timers.startPeriodic('p', { type: 'tick', incarnation: ctx.incarnation }, 10);
        return;
      case 'tick':
        ticks.push({ from: m.incarnation, handledBy: ctx.incarnation });
    }
  }
}

test('restart — keeps the address, loses the state, keeps the messages queued behind the failure', async () => {
  system = createActorSystem();
  const ref = system.spawn(Keeper, { name: 'keeper' });
  ref.tell({ type: 'add', n: 1 });
  ref.tell({ type: 'boom' });
  ref.tell({ type: 'add', n: 2 });
  ref.tell({ type: 'add', n: 3 });
  const items = await ref.ask({ type: 'get' });
  assert.deepEqual(items, [2, 3], 'state before the failure is gone, messages after it were kept');
  assert.equal(ref.path, '/user/keeper');
  assert.deepEqual(await system.ref<Msg>('mesh://' + system.nodeId + '/user/keeper').ask({ type: 'get' }), [2, 3]);
});

test('restart — messages to the old incarnation’s full address are dead letters', async () => {
  system = createActorSystem();
  const ref = system.spawn(Keeper, { name: 'keeper' });
  const before = ref.address;
  const restarted = nextEvent(system, 'actor-restarted');
  ref.tell({ type: 'boom' });
  await restarted;
  const after = ref.address;
  assert.notEqual(before, after);
  assert.equal(before.split('#')[0], after.split('#')[0], 'same path');
  const dead = collectEvents(system, 'dead-letter');
  system.ref<Msg>(before).tell({ type: 'add', n: 9 });
  assert.equal(dead.events.length, 1);
  system.ref<Msg>(after).tell({ type: 'add', n: 10 });
  assert.deepEqual(await ref.ask({ type: 'get' }), [10]);
  const serialized = JSON.parse(JSON.stringify(ref));
  assert.deepEqual(await system.ref<Msg>(serialized).ask({ type: 'get' }), [10], 'a serialised ref follows restarts');
});

test('restart — timers of the old incarnation never fire into the new one, not even a tick already queued', async () => {
  const clock = createSimulatedClock();
  system = createActorSystem({ clock });
  ticks.length = 0;
  const ref = system.spawn(Keeper);
  ref.tell({ type: 'arm' });
  await turns();
  clock.advance(10);
  await turnsUntil(() => ticks.length === 1, 'a periodic tick');
  const restarted = nextEvent(system, 'actor-restarted');
  ref.tell({ type: 'boom' });
  clock.advance(10); // queues a tick of the old incarnation behind the failing message
  await restarted;
  clock.advance(100);
  await turns();
  assert.equal(ticks.length, 1, 'a timer of the old incarnation fired after the restart');
  assert.equal(clock.pending, 0, 'the restart left timers armed');
  assert.ok(ticks.every((t) => t.from === t.handledBy));
});

test('restart — a serialised ref to an earlier spawn at the same path reaches nothing', async () => {
  system = createActorSystem();
  const first = system.spawn(Keeper, { name: 'k' });
  const wire = JSON.parse(JSON.stringify(first));
  await system.stop(first);
  const second = system.spawn(Keeper, { name: 'k' });
  second.tell({ type: 'add', n: 1 });
  const dead = collectEvents(system, 'dead-letter');
  system.ref<Msg>(wire).tell({ type: 'add', n: 2 });
  assert.equal(dead.events.length, 1);
  assert.deepEqual(await second.ask({ type: 'get' }), [1]);
});

test('restart — system messages overtake queued user messages while the actor is suspended', async () => {
  const decide = deferred<() => void>();
  system = createActorSystem({
    defaultStrategy: {
      handleFailure(control, child) {
        decide.resolve(() => control.restart([child]));
      },
    },
  });
  const handled: number[] = [];
  const ref = system.spawn((m: number) => {
    if (m === 0) throw new Error('fail');
    handled.push(m);
  });
  ref.tell(0);
  const restart = await decide.promise;
  ref.tell(1);
  ref.tell(2);
  const dead = collectEvents(system, 'dead-letter');
  await system.stop(ref);
  restart();
  assert.deepEqual(handled, [], 'user messages ran while suspended');
  assert.deepEqual(dead.events.map((e) => e.message), [1, 2]);
});
