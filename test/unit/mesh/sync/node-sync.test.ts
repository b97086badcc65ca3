import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../../../src/actors/index.ts';
import { createSimulatedClock, systemClock } from '../../../../src/actors/clock.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { createNode } from '../../../../src/mesh/node.ts';
import { openNodePlugins, resolveNodeOptions } from '../../../../src/mesh/node-options.ts';
import type { SyncBackend } from '../../../../src/mesh/sync/backend.ts';
import { createSync } from '../../../../src/mesh/sync/locks.ts';
import { createMemorySync, MemorySyncBackend } from '../../../../src/mesh/sync/memory.ts';

const noProbe = async () => false;
const inMemory = { registry: 'memory', transport: 'memory', logger: silentLogger } as const;
const isReason = (reason: string) => (err: unknown) => err instanceof MicroError && err.reason === reason;

test('node sync — node.sync is memory by default, follows the store in the tree, and stop releases its leases', async () => {
  const node = await createNode({ ...inMemory, address: 'mem://sync-1' });
  assert.equal(node.sync.name, 'memory');
  const lease = await node.sync.lock('job', { ttlMs: 5000 });
  const names = (await node.inspect()).children.map((c) => c.id);
  assert.ok(names.indexOf('sync') === names.indexOf('store') + 1, `sync follows store in ${names.join(', ')}`);
  const sync = node.sync;
  await node.stop();
  assert.equal(lease.lost, true, 'stop released the lease');
  await assert.rejects(sync.lock('job'), isReason('UNAVAILABLE'));
});

test('node sync — nodes given one memory back end contend for the same locks; an instance passed in is left open', async () => {
  const backend = new MemorySyncBackend();
  const mine = createMemorySync({ backend });
  const a = await createNode({ ...inMemory, address: 'mem://sync-2', syncOptions: { memory: { backend } } });
  const b = await createNode({ ...inMemory, address: 'mem://sync-3', sync: mine });
  try {
    assert.equal(b.sync, mine);
    const held = await a.sync.lock('shared', { ttlMs: 5000 });
    await assert.rejects(b.sync.lock('shared', { waitMs: 0 }), isReason('LOCK_TIMEOUT'));
    await held.release();
    await (await b.sync.lock('shared', { waitMs: 0 })).release();
  } finally {
    await a.stop();
    await b.stop();
  }
  await (await mine.lock('still-open', { waitMs: 0 })).release();
  await mine.close();
  await backend.close();
});

test('node sync — MICRO_SYNC chooses the back end; an unknown one is BAD_REQUEST listing the known', async () => {
  const o = resolveNodeOptions(inMemory, { MICRO_SYNC: 'etcd' });
  await assert.rejects(openNodePlugins(o, systemClock, noProbe), (err: unknown) => {
    assert.ok(err instanceof MicroError && err.reason === 'BAD_REQUEST');
    assert.match(err.detail, /unknown sync "etcd" from MICRO_SYNC \(known: memory/);
    return true;
  });
  const p = await openNodePlugins(resolveNodeOptions(inMemory, { MICRO_SYNC: 'memory' }), systemClock, noProbe);
  assert.equal(p.sync.value.name, 'memory');
  assert.equal(p.sync.owned, true);
  for (const r of [p.sync, p.store, p.registry, p.transport]) await r.value.close();
  await p.table.close();
});

test('lease — a back end that stops answering loses the lease one ttl after it last confirmed it', async () => {
  const clock = createSimulatedClock();
  const memory = new MemorySyncBackend(clock);
  let down = false;
  const backend: SyncBackend = { ...bound(memory), renew: (id, token, ttlMs) => (down ? Promise.reject(new Error('connection refused')) : memory.renew(id, token, ttlMs)) };
  const sync = createSync(backend, { clock });
  const lease = await sync.lock('x', { ttlMs: 900 });
  const reasons: Error[] = [];
  lease.onLost((r) => reasons.push(r));
  clock.advance(300);
  await settle();
  clock.advance(300);
  await settle();
  down = true; // last confirmed by the renewal sent at 600
  for (let t = 0; t < 1400; t += 100) {
    clock.advance(100);
    await settle();
    if (t + 100 < 900) assert.equal(reasons.length, 0, `still held at ${700 + t}`);
  }
  assert.equal(reasons.length, 1);
  assert.ok(reasons[0] instanceof MicroError && reasons[0].reason === 'UNAVAILABLE');
  assert.match(String((reasons[0] as MicroError).cause), /connection refused/);
  assert.equal(await lease.release(), false);
  await sync.close();
});

test('lease — a renewal the back end refuses loses the lease at once (CONFLICT)', async () => {
  const clock = createSimulatedClock();
  const memory = new MemorySyncBackend(clock);
  const sync = createSync(memory, { clock });
  const lease = await sync.lock('x', { ttlMs: 900 });
  const lost = new Promise<Error>((resolve) => lease.onLost(resolve));
  await memory.release('x', lease.token); // someone with the token's knowledge freed it under us
  clock.advance(300);
  const reason = await lost;
  assert.ok(reason instanceof MicroError && reason.reason === 'CONFLICT');
  await sync.close();
});

function bound(b: SyncBackend): SyncBackend {
  return { name: b.name, acquire: (i, h, t) => b.acquire(i, h, t), renew: (i, k, t) => b.renew(i, k, t), release: (i, k) => b.release(i, k), close: () => b.close() };
}

/** Lets the promise callbacks a timer started run. */
const settle = () => new Promise((r) => setImmediate(r));
