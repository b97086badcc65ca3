import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRecordingLogger } from '../../../../src/actors/logger.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { createMemoryRegistry } from '../../../../src/mesh/registry/memory.ts';
import { collectWatch, ids, isNotFound, svc } from '../../../conformance/registry.ts';
import { createSimulatedClock } from '../../../../src/actors/clock.ts';

describe('memory registry', () => {
  test('memory registry — a node registered with a TTL expires when not registered again', async () => {
    const clock = createSimulatedClock();
    const registry = createMemoryRegistry({ clock });
    const watch = collectWatch(registry.watch());
    await registry.register(svc('ttl', '1', ['short']), { ttlMs: 1_000 });
    await registry.register(svc('ttl', '1', ['forever']));
    clock.advance(999);
    assert.deepEqual(ids((await registry.getService('ttl'))[0]), ['forever', 'short']);
    clock.advance(1);
    assert.deepEqual(ids((await registry.getService('ttl'))[0]), ['forever']);
    const expired = await watch.next((e) => e.type === 'delete');
    assert.deepEqual(ids(expired.service), ['short']);
    await registry.close();
  });

  test('memory registry — registering again before the TTL keeps the node (a heartbeat)', async () => {
    const clock = createSimulatedClock();
    const registry = createMemoryRegistry({ clock });
    for (let beat = 0; beat < 5; beat++) {
      await registry.register(svc('beat', '1', ['n1']), { ttlMs: 1_000 });
      clock.advance(800);
    }
    assert.deepEqual(ids((await registry.getService('beat'))[0]), ['n1']);
    clock.advance(200);
    await assert.rejects(registry.getService('beat'), isNotFound('beat'));
    assert.equal(clock.pending, 0, 'no timer is left once nothing can expire');
    await registry.close();
  });

  test('memory registry — several nodes sharing one instance see each other and each other\'s events', async () => {
    const shared = createMemoryRegistry();
    const nodeA = { registry: shared };
    const nodeB = { registry: shared };
    const watch = collectWatch(nodeB.registry.watch({ service: 'orders' }));
    await nodeA.registry.register(svc('orders', '1', ['a']));
    assert.equal((await watch.next()).type, 'create');
    assert.deepEqual(ids((await nodeB.registry.getService('orders'))[0]), ['a']);
    await shared.close();
  });

  test('memory registry — reads are frozen snapshots, the same array until something changes', async () => {
    const registry = createMemoryRegistry();
    const input = svc('snap', '1', ['n1']);
    await registry.register(input);
    input.nodes[0].address = 'changed-by-caller';
    const first = await registry.getService('snap');
    assert.equal(first[0].nodes[0].address, '127.0.0.1:4002', 'the registry kept a copy, not the caller\'s object');
    assert.ok(Object.isFrozen(first) && Object.isFrozen(first[0]) && Object.isFrozen(first[0].nodes[0]));
    assert.throws(() => first[0].nodes.push(first[0].nodes[0]), TypeError);
    assert.equal(await registry.getService('snap'), first);
    assert.equal((await registry.getService('snap'))[0].nodes, first[0].nodes);
    await registry.register(svc('snap', '1', ['n2']));
    assert.notEqual(await registry.getService('snap'), first);
    await registry.close();
  });

  test('memory registry — registering the same thing again is a refresh, not an event', async () => {
    const registry = createMemoryRegistry();
    const watch = collectWatch(registry.watch());
    await registry.register(svc('same', '1', ['n1']));
    await registry.register(svc('same', '1', ['n1']));
    await registry.register(svc('same', '1', ['n2']));
    await watch.next((e) => e.type === 'update');
    assert.deepEqual(watch.events.map((e) => e.type), ['create', 'update']);
    await registry.close();
  });

  test('memory registry — a changed node address is an update', async () => {
    const registry = createMemoryRegistry();
    const watch = collectWatch(registry.watch());
    await registry.register(svc('moved', '1', ['n1']));
    await registry.register({ ...svc('moved', '1', []), nodes: [{ id: 'n1', address: '127.0.0.1:9999', metadata: {} }] });
    const updated = await watch.next((e) => e.type === 'update');
    assert.equal(updated.service.nodes[0].address, '127.0.0.1:9999');
    await registry.close();
  });

  test('memory registry — a watcher that stopped reading drops its oldest events past its buffer and says so', async () => {
    const log = createRecordingLogger();
    const registry = createMemoryRegistry({ watchBuffer: 3, logger: log });
    const watcher = registry.watch();
    for (let i = 0; i < 5; i++) await registry.register(svc(`buf${i}`, '1', ['n1']));
    const seen: string[] = [];
    const iterator = watcher[Symbol.asyncIterator]();
    for (let i = 0; i < 3; i++) seen.push(((await iterator.next()).value as { service: { name: string } }).service.name);
    assert.deepEqual(seen, ['buf2', 'buf3', 'buf4']);
    assert.equal(log.entries.filter((e) => e.level === 'warn').length, 1);
    await registry.close();
    assert.equal((await iterator.next()).done, true);
  });

  test('memory registry — a bad TTL or metadata rejects with BAD_REQUEST, and the registry keeps working', async () => {
    const registry = createMemoryRegistry();
    const isBad = (err: unknown) => err instanceof MicroError && err.reason === 'BAD_REQUEST';
    await assert.rejects(registry.register(svc('bad', '1', ['n1']), { ttlMs: -5 }), isBad);
    await assert.rejects(registry.register({ ...svc('bad', '1', ['n1']), metadata: { n: 1 } } as never), isBad);
    await assert.rejects(registry.register(svc('bad', '1', ['n1', 'n1'])), isBad);
    await registry.register(svc('good', '1', ['n1']));
    assert.equal((await registry.getService('good')).length, 1);
    await registry.close();
  });

  test('memory registry — close cancels the expiry timer', async () => {
    const clock = createSimulatedClock();
    const registry = createMemoryRegistry({ clock });
    await registry.register(svc('t', '1', ['n1']), { ttlMs: 10 });
    assert.equal(clock.pending, 1);
    await registry.close();
    assert.equal(clock.pending, 0);
  });
});
