import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createActorSystem } from '../../../src/supervisor/index.ts';
import { type ActorContext, createSimulatedClock, type Reminder, type SimulatedClock } from '../../../src/actors/index.ts';
import { MicroError } from '../../../src/mesh/errors.ts';
import { createMemoryStore } from '../../../src/mesh/store/memory.ts';
import { memoryMesh } from '../../support/mesh.ts';
import { pass, passUntil, turns, waitUntil } from '../../support/wait.ts';

let mesh = memoryMesh();
afterEach(async () => {
  await mesh.close();
  mesh = memoryMesh();
});

type AlarmMessage = Reminder<{ n: number }> | { type: 'set'; everyMs?: number; at?: number; name?: string } | { type: 'cancel'; name: string } | { type: 'boom' };

/** An actor that records the reminders it receives and sets or cancels them on request. */
function alarm(received: Array<{ name: string; payload: unknown; scheduledAt: number; incarnation: number }>) {
  return async (m: AlarmMessage, ctx: ActorContext<AlarmMessage>) => {
    if (m.type === 'reminder') received.push({ name: m.name, payload: m.payload, scheduledAt: m.scheduledAt, incarnation: ctx.incarnation });
    else if (m.type === 'set') await ctx.reminders.set(m.name ?? 'tick', { ...(m.at === undefined ? {} : { at: m.at }), ...(m.everyMs === undefined ? {} : { everyMs: m.everyMs }), payload: { n: 7 } });
    else if (m.type === 'cancel') await ctx.reminders.cancel(m.name);
    else throw new Error('boom');
  };
}

/** A node whose poll timer and reminder times run on `clock`: reminders come due as the test advances it. */
const onClock = (clock: SimulatedClock, pollMs: number) => ({ system: { clock }, store: 'memory', reminders: { pollMs, now: () => clock.now() } });

test('reminders — a one-shot reminder fires once with its payload, then its record is gone', async () => {
  const clock = createSimulatedClock();
  const node = await mesh.node('r1', onClock(clock, 20));
  const received: Array<{ name: string; payload: unknown; scheduledAt: number; incarnation: number }> = [];
  const ref = node.system.spawn(alarm(received), { name: 'alarm' });
  const at = clock.now() + 100;
  ref.tell({ type: 'set', at });
  await turns();
  await pass(clock, 80);
  assert.equal(received.length, 0, 'not due yet');
  await passUntil(clock, () => received.length === 1, 'the reminder', 200);
  assert.deepEqual(received[0], { name: 'tick', payload: { n: 7 }, scheduledAt: at, incarnation: received[0]?.incarnation });
  await pass(clock, 10 * 20); // ten polls more
  assert.equal(received.length, 1, 'fired once');
  assert.deepEqual(await node.store.scope({ table: 'reminders' }).list(), []);
});

test('reminders — a periodic reminder keeps firing, to the new incarnation after a restart, until cancelled', async () => {
  const clock = createSimulatedClock();
  const node = await mesh.node('r2', onClock(clock, 10));
  const received: Array<{ name: string; payload: unknown; scheduledAt: number; incarnation: number }> = [];
  const ref = node.system.spawn(alarm(received), { name: 'alarm' });
  ref.tell({ type: 'set', everyMs: 40 });
  await passUntil(clock, () => received.length >= 2, 'two fires');
  const before = received[0]?.incarnation;
  ref.tell({ type: 'boom' });
  await passUntil(clock, () => received.some((r) => r.incarnation !== before), 'a fire to the restarted actor');
  ref.tell({ type: 'cancel', name: 'tick' });
  await turns(20); // the cancel is written; a fire claimed before it has been told
  const count = received.length;
  await pass(clock, 10 * 40); // ten periods
  assert.equal(received.length, count, 'no fire after cancel');
  const times = received.map((r) => r.scheduledAt);
  assert.deepEqual(times, [...new Set(times)].sort((a, b) => a - b), 'each scheduled time fired once, in order');
});

test('reminders — two nodes sharing a store, each with the actor: every scheduled time fires on exactly one of them', async () => {
  const clock = createSimulatedClock();
  const store = createMemoryStore();
  const received: Array<{ name: string; payload: unknown; scheduledAt: number; incarnation: number }> = [];
  const alarms = [];
  for (const id of ['ra', 'rb', 'rc']) {
    const node = await mesh.node(id, { ...onClock(clock, 5), store });
    alarms.push(node.system.spawn(alarm(received), { name: 'alarm' }));
  }
  // The reminder belongs to the path /user/alarm: any of the three may fire it, one per scheduled time.
  const a = alarms[0] as (typeof alarms)[number];
  a.tell({ type: 'set', everyMs: 30 });
  await passUntil(clock, () => received.length >= 8, 'eight fires', 60_000, 5);
  const times = received.map((r) => r.scheduledAt);
  assert.equal(new Set(times).size, times.length, `a scheduled time fired twice: ${times}`);
  a.tell({ type: 'cancel', name: 'tick' });
});

test('reminders — bad names and specs are 400s; an actor system without a mesh node says reminders need one', async () => {
  const node = await mesh.node('r3', { store: 'memory' });
  const errors: unknown[] = [];
  const ref = node.system.spawn(async (m: { name: string; spec: object }, ctx: ActorContext<{ name: string; spec: object }>) => {
    await ctx.reminders.set(m.name, m.spec).catch((err: unknown) => errors.push(err));
  });
  ref.tell({ name: 'bad name!', spec: { everyMs: 10 } });
  ref.tell({ name: 'ok', spec: {} });
  ref.tell({ name: 'ok', spec: { everyMs: 0 } });
  await waitUntil(() => errors.length === 3, 5000, 'three errors');
  for (const err of errors) assert.ok(err instanceof MicroError && err.code === 400, String(err));
  const bare = createActorSystem();
  const plain: unknown[] = [];
  bare.spawn(async (_: unknown, ctx: ActorContext<unknown>) => {
    await ctx.reminders.set('x', { everyMs: 10 }).catch((err: unknown) => plain.push(err));
  }).tell('go');
  await waitUntil(() => plain.length === 1, 5000, 'the error');
  assert.match(String(plain[0]), /reminders are kept in a store/);
  await bare.terminate();
});
