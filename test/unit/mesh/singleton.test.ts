import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { defineService } from '../../../src/mesh/service.ts';
import { createSimulatedClock } from '../../../src/actors/clock.ts';
import type { SyncBackend } from '../../../src/mesh/sync/backend.ts';
import { createSync } from '../../../src/mesh/sync/locks.ts';
import { createMemorySync, MemorySyncBackend } from '../../../src/mesh/sync/memory.ts';
import { memoryMesh } from '../../support/mesh.ts';
import { pass, passUntil, turns, waitUntil } from '../../support/wait.ts';

const whoami = (node: string) =>
  defineService({ name: 'scheduler', version: '1', endpoints: { 'Who.Am': { handler: () => node } } });

let mesh = memoryMesh();
afterEach(async () => {
  await mesh.close();
  mesh = memoryMesh();
});

async function nodesOfScheduler(): Promise<string[]> {
  const services = await mesh.registry.getService('scheduler').catch(() => []);
  return services.flatMap((s) => s.nodes.map((n) => n.id)).sort();
}

test('singleton — of three nodes serving it, one is active and registered; the others stand by', async () => {
  // Leases, renewals and the standbys' retries run on a simulated clock: the test moves time past several TTLs.
  const clock = createSimulatedClock();
  const backend = new MemorySyncBackend(clock);
  const active: string[] = [];
  for (const id of ['a', 'b', 'c']) {
    const node = await mesh.node(id, { sync: createMemorySync({ backend, clock }) });
    await node.serve(whoami(id), { singleton: { ttlMs: 300, onActive: () => active.push(id) } });
  }
  await waitUntil(() => active.length === 1, 5000, 'one active node');
  const caller = await mesh.node('caller');
  assert.deepEqual(await nodesOfScheduler(), active);
  for (let i = 0; i < 5; i++) assert.equal(await caller.client.call('scheduler', 'Who.Am', {}), active[0]);
  await pass(clock, 5 * 300); // five ttls: renewals keep the leader, nobody else activates
  await turns(20);
  assert.deepEqual(active.length, 1);
  assert.deepEqual(await nodesOfScheduler(), active);
});

test('singleton — when the active node stops, a standby takes over (resigned, so without waiting for the ttl) and calls reach it', async () => {
  const clock = createSimulatedClock();
  const backend = new MemorySyncBackend(clock);
  const active: string[] = [];
  const nodes = new Map<string, Awaited<ReturnType<typeof mesh.node>>>();
  for (const id of ['a', 'b']) {
    const node = await mesh.node(id, { sync: createMemorySync({ backend, clock }) });
    nodes.set(id, node);
    await node.serve(whoami(id), { singleton: { ttlMs: 10_000, onActive: () => active.push(id) } });
  }
  await waitUntil(() => active.length === 1, 5000, 'one active node');
  const first = active[0] as string;
  await nodes.get(first)?.stop();
  // The standby's next try (every 50 ms on average) finds the lock free: well within a tenth of the 10 s ttl.
  await passUntil(clock, () => active.length === 2, 'the standby to take over', 1000);
  const second = active[1] as string;
  assert.notEqual(second, first);
  const caller = await mesh.node('caller');
  assert.equal(await caller.client.call('scheduler', 'Who.Am', {}), second);
  assert.deepEqual(await nodesOfScheduler(), [second]);
});

test('singleton — a leader whose renewal is refused withdraws its service, stands by, and comes back with a greater token', async () => {
  const clock = createSimulatedClock();
  const backend = new MemorySyncBackend(clock);
  let refuse = false;
  const view: SyncBackend = {
    name: 'refusing',
    acquire: (id, holder, ttlMs) => backend.acquire(id, holder, ttlMs),
    renew: (id, token, ttlMs) => (refuse ? Promise.resolve(false) : backend.renew(id, token, ttlMs)),
    release: (id, token) => backend.release(id, token),
    close: async () => {},
  };
  const events: string[] = [];
  const tokens: number[] = [];
  const a = await mesh.node('a', { sync: createSync(view, { clock, retryMs: 20 }) });
  await a.serve(whoami('a'), {
    singleton: {
      ttlMs: 150,
      onActive: (t) => {
        tokens.push(t);
        events.push('active');
      },
      onStandby: () => events.push('standby'),
    },
  });
  await waitUntil(() => events.length === 1, 5000, 'a active');
  assert.deepEqual(await nodesOfScheduler(), ['a']);
  refuse = true;
  await passUntil(clock, () => events.includes('standby'), 'a to stand by', 150); // the first renewal, at a third of the ttl, is refused
  assert.deepEqual(await nodesOfScheduler(), [], 'the service was deregistered when leadership was lost');
  refuse = false;
  await pass(clock, 50);
  await turns(20);
  assert.deepEqual(events, ['active', 'standby'], 'not active again while its old lease runs');
  await passUntil(clock, () => events.length === 3, 'a active again once its old lease ran out', 300);
  assert.deepEqual(events, ['active', 'standby', 'active']);
  assert.ok((tokens[1] as number) > (tokens[0] as number), `tokens ${tokens}`);
  assert.deepEqual(await nodesOfScheduler(), ['a']);
});
