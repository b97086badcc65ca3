import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { type ActorContext, type ActorSystem, createSimulatedClock, type SimulatedClock } from '../../../src/actors/index.ts';
import { createActorSystem } from '../../../src/supervisor/index.ts';
import { turns, turnsUntil } from '../../support/wait.ts';

let system: ActorSystem;
afterEach(() => system?.terminate());

type Cmd =
  | { type: 'single'; key: string; ms: number }
  | { type: 'periodic'; key: string; ms: number }
  | { type: 'cancel'; key: string }
  | { type: 'active'; key: string; reply: (active: boolean) => void }
  | { type: 'tick'; key: string };

/** An actor that starts and cancels timers on command and records each tick with the clock time it arrived. */
function ticker(clock: SimulatedClock) {
  const ticks: Array<[string, number]> = [];
  const ref = system.spawn((m: Cmd, ctx: ActorContext<Cmd>) => {
    switch (m.type) {
      case 'single':
        return ctx.timers.startSingle(m.key, { type: 'tick', key: m.key }, m.ms);
      case 'periodic':
        return ctx.timers.startPeriodic(m.key, { type: 'tick', key: m.key }, m.ms);
      case 'cancel':
        return ctx.timers.cancel(m.key);
      case 'active':
        return m.reply(ctx.timers.isActive(m.key));
      case 'tick':
        ticks.push([m.key, clock.now()]);
    }
  });
  const active = (key: string): Promise<boolean> => new Promise((reply) => ref.tell({ type: 'active', key, reply }));
  return { ref, ticks, active };
}

function simulated(): SimulatedClock {
  const clock = createSimulatedClock(0);
  system = createActorSystem({ clock });
  return clock;
}

test('timers — a single timer fires once, at its delay on the system clock, and is then inactive', async () => {
  const clock = simulated();
  const { ref, ticks, active } = ticker(clock);
  ref.tell({ type: 'single', key: 'a', ms: 100 });
  await turns();
  assert.equal(await active('a'), true);
  clock.advance(99);
  await turns();
  assert.deepEqual(ticks, []);
  clock.advance(1);
  await turnsUntil(() => ticks.length === 1, 'the tick');
  assert.deepEqual(ticks, [['a', 100]]);
  assert.equal(await active('a'), false);
  clock.advance(1000);
  await turns();
  assert.equal(ticks.length, 1, 'a single timer fired twice');
  assert.equal(clock.pending, 0);
});

test('timers — a periodic timer fires every interval on one re-armed timeout until cancelled', async () => {
  const clock = simulated();
  const { ref, ticks, active } = ticker(clock);
  ref.tell({ type: 'periodic', key: 'p', ms: 50 });
  await turns();
  for (let i = 1; i <= 4; i++) {
    clock.advance(50);
    await turnsUntil(() => ticks.length === i, `tick ${i}`);
    assert.equal(clock.pending, 1, 'one timer per periodic timer');
  }
  assert.deepEqual(ticks.map(([, at]) => at), [50, 100, 150, 200]);
  assert.equal(await active('p'), true);
  ref.tell({ type: 'cancel', key: 'p' });
  await turns();
  assert.equal(await active('p'), false);
  assert.equal(clock.pending, 0);
  clock.advance(500);
  await turns();
  assert.equal(ticks.length, 4);
});

test('timers — starting a key again replaces its timer; a zero interval is treated as 1 ms', async () => {
  const clock = simulated();
  const { ref, ticks } = ticker(clock);
  ref.tell({ type: 'single', key: 'k', ms: 100 });
  ref.tell({ type: 'single', key: 'k', ms: 300 });
  ref.tell({ type: 'periodic', key: 'z', ms: 0 });
  await turns();
  assert.equal(clock.pending, 2);
  clock.advance(3);
  await turnsUntil(() => ticks.length === 3, 'three 1 ms ticks');
  await turns();
  assert.deepEqual(ticks.map(([key]) => key), ['z', 'z', 'z'], 'one tick per ms of clock time');
  ref.tell({ type: 'cancel', key: 'z' });
  clock.advance(297);
  await turnsUntil(() => ticks.some(([key]) => key === 'k'), 'the replacing timer');
  assert.deepEqual(ticks.filter(([key]) => key === 'k'), [['k', 300]], 'the replaced 100 ms timer fired');
});

test('timers — stopping the actor cancels its timers', async () => {
  const clock = simulated();
  const { ref, ticks } = ticker(clock);
  ref.tell({ type: 'periodic', key: 'p', ms: 10 });
  ref.tell({ type: 'single', key: 's', ms: 10 });
  await turns();
  assert.equal(clock.pending, 2);
  await system.stop(ref);
  assert.equal(clock.pending, 0);
  clock.advance(100);
  await turns();
  assert.deepEqual(ticks, []);
});
