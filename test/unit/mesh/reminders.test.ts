import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createActorSystem } from '../../../src/supervisor/index.ts';
import type { ActorContext, Reminder } from '../../../src/actors/index.ts';
import { MicroError } from '../../../src/mesh/errors.ts';
import { createMemoryStore } from '../../../src/mesh/store/memory.ts';
import { memoryMesh } from '../../support/mesh.ts';
import { waitUntil } from '../../support/wait.ts';

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

test('reminders — a one-shot reminder fires once with its payload, then its record is gone', async () => {
  const node = await mesh.node('r1', { store: 'memory', reminders: { pollMs: 20 } });
  const received: Array<{ name: string; payload: unknown; scheduledAt: number; incarnation: number }> = [];
  const ref = node.system.spawn(alarm(received), { name: 'alarm' });
  const at = Date.now() + 100;
  ref.tell({ type: 'set', at });
  await waitUntil(() => received.length === 1, 5000, 'the reminder');
  assert.deepEqual(received[0], { name: 'tick', payload: { n: 7 }, scheduledAt: at, incarnation: received[0]?.incarnation });
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(received.length, 1, 'fired once');
  assert.deepEqual(await node.store.scope({ table: 'reminders' }).list(), []);
});

test('reminders — a periodic reminder keeps firing, to the new incarnation after a restart, until cancelled', async () => {
  const node = await mesh.node('r2', { store: 'memory', reminders: { pollMs: 10 } });
  const received: Array<{ name: string; payload: unknown; scheduledAt: number; incarnation: number }> = [];
  const ref = node.system.spawn(alarm(received), { name: 'alarm' });
  ref.tell({ type: 'set', everyMs: 40 });
  await waitUntil(() => received.length >= 2, 5000, 'two fires');
  const before = received[0]?.incarnation;
  ref.tell({ type: 'boom' });
  await waitUntil(() => received.some((r) => r.incarnation !== before), 5000, 'a fire to the restarted actor');
  ref.tell({ type: 'cancel', name: 'tick' });
  await waitUntil(() => false, 100).catch(() => {}); // let a fire claimed before the cancel arrive
  const count = received.length;
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(received.length, count, 'no fire after cancel');
  const times = received.map((r) => r.scheduledAt);
  assert.deepEqual(times, [...new Set(times)].sort((a, b) => a - b), 'each scheduled time fired once, in order');
});

test('reminders — two nodes sharing a store, each with the actor: every scheduled time fires on exactly one of them', async () => {
  const store = createMemoryStore();
  const received: Array<{ name: string; payload: unknown; scheduledAt: number; incarnation: number }> = [];
  const alarms = [];
  for (const id of ['ra', 'rb', 'rc']) {
    const node = await mesh.node(id, { store, reminders: { pollMs: 5 } });
    alarms.push(node.system.spawn(alarm(received), { name: 'alarm' }));
  }
  // The reminder belongs to the path /user/alarm: any of the three may fire it, one per scheduled time.
  const a = alarms[0] as (typeof alarms)[number];
  a.tell({ type: 'set', everyMs: 30 });
  await waitUntil(() => received.length >= 8, 10_000, 'eight fires');
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
