import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createSimulatedClock } from '../../../../src/actors/clock.ts';
import { createRecordingLogger } from '../../../../src/actors/logger.ts';
import { createMdnsRegistry, type MdnsRegistry, type MdnsRegistryOptions } from '../../../../src/mesh/registry/mdns.ts';
import { instanceRecordName, mdnsNames } from '../../../../src/mesh/registry/mdns-records.ts';
import type { Service } from '../../../../src/mesh/registry/registry.ts';
import { collectWatch, svc } from '../../../conformance/registry.ts';
import { createGate, MARKER, settle, until } from './admission-helpers.ts';
import { createSpy, isolated, movedTo, sendAll, type Spy, type TxtAnswer, txtOf } from './mdns-spy.ts';

// An attacker here is anything that can send a multicast packet on the loopback: the spy forges its records.

const REAL = '127.0.0.1:4002';
const POISON = '127.0.0.1:6666';

/** One registry under attack and the spy that attacks it, on an isolated port. */
async function underAttack(options: MdnsRegistryOptions = {}) {
  const { port, domain } = isolated();
  const spy = createSpy(port);
  const registry = createMdnsRegistry({ port, domain, ...options });
  await Promise.all([spy.ready(), registry.ready()]);
  const close = async () => {
    await Promise.all([spy.close(), registry.close()]);
  };
  return { spy, domain, registry, close };
}

async function addressOf(registry: MdnsRegistry, service: string, nodeId: string): Promise<string | undefined> {
  const versions = await registry.getService(service);
  return versions.flatMap((v) => v.nodes).find((n) => n.id === nodeId)?.address;
}

function announce(spy: Spy, domain: string, service: Service, ttlMs = 10_000, times = 1): Promise<void> {
  return sendAll(spy, Array.from({ length: times }, () => txtOf(domain, service, ttlMs)));
}

describe('mdns registry under attack', { timeout: 30_000 }, () => {
  test('mdns admission — a record reusing a node\'s id with another address does not replace it; it may once the node expires', async () => {
    const clock = createSimulatedClock();
    const { spy, domain, registry, close } = await underAttack({ clock });
    try {
      const watch = collectWatch(registry.watch({ service: 'greeter' }));
      const real = svc('greeter', '1', ['n1']);
      await announce(spy, domain, real, 10_000);
      await watch.next((e) => e.type === 'create');
      await announce(spy, domain, movedTo(real, POISON), 60_000, 3);
      await settle(spy, domain, registry);
      assert.equal(await addressOf(registry, 'greeter', 'n1'), REAL);
      assert.equal(registry.stats().conflicts, 3);
      assert.equal(registry.stats().held, 1);
      assert.equal(watch.events.length, 1, 'no event for the held record');
      // The real node stops refreshing: once it expires, the record held aside (still alive) takes its place.
      clock.advance(10_000);
      await watch.next((e) => e.type === 'create', 100);
      assert.deepEqual(watch.events.slice(1).map((e) => [e.type, e.service.nodes[0].address]), [['delete', REAL], ['create', POISON]]);
      assert.equal(registry.stats().replaced, 1);
    } finally {
      await close();
    }
  });

  test('mdns admission — with admit, a conflicting record is held until admit agrees; a no keeps the real address and is not asked again', async () => {
    const gate = createGate((node) => (node.address === REAL ? true : undefined));
    const { spy, domain, registry, close } = await underAttack({ admit: gate.admit });
    try {
      const watch = collectWatch(registry.watch({ service: 'greeter' }));
      const real = svc('greeter', '1', ['n1']);
      await announce(spy, domain, real);
      await watch.next((e) => e.type === 'create');
      await announce(spy, domain, movedTo(real, POISON), 10_000, 3);
      await until(() => gate.calls.length === 2, 3000, 'the probe of the poisoned address');
      await settle(spy, domain, registry);
      assert.equal(await addressOf(registry, 'greeter', 'n1'), REAL, 'held while the probe runs');
      gate.answer('n1', POISON, false);
      await until(() => registry.stats().rejected >= 1, 3000, 'the rejection');
      await announce(spy, domain, movedTo(real, POISON), 10_000, 5);
      await settle(spy, domain, registry);
      assert.equal(await addressOf(registry, 'greeter', 'n1'), REAL);
      assert.deepEqual(gate.calls.map((c) => c.address), [REAL, POISON], 'the cached no answers the repeats');
      assert.equal(registry.stats().rejected, 6);
      assert.equal(registry.stats().replaced, 0);
      // A node that really moved (its new address answers as it) does replace the old address.
      await announce(spy, domain, movedTo(real, '127.0.0.1:5555'));
      await until(() => gate.calls.length === 3, 3000, 'the probe of the new address');
      gate.answer('n1', '127.0.0.1:5555', true);
      const moved = await watch.next((e) => e.type === 'update');
      assert.equal(moved.service.nodes[0].address, '127.0.0.1:5555');
      assert.equal(registry.stats().replaced, 1);
    } finally {
      await close();
    }
  });

  test('mdns admission — with admit, a new node enters only once admitted, fakes never do, and re-announcements are not probed again', async () => {
    const gate = createGate((node) => node.address === REAL);
    const { spy, domain, registry, close } = await underAttack({ admit: gate.admit });
    try {
      const watch = collectWatch(registry.watch({ service: 'greeter' }));
      const real = svc('greeter', '1', ['n1']);
      const fakes = Array.from({ length: 20 }, (_, i) => movedTo(svc('greeter', '1', [`fake-${i}`]), `127.0.0.1:${30_000 + i}`));
      await announce(spy, domain, real, 10_000, 3);
      for (let round = 0; round < 3; round++) await sendAll(spy, fakes.map((f) => txtOf(domain, f, 10_000)));
      // The same node changing its metadata at the same address needs no new probe either.
      await announce(spy, domain, { ...real, metadata: { team: 'other' } });
      await settle(spy, domain, registry);
      const [version] = await registry.getService('greeter');
      assert.deepEqual(version.nodes.map((n) => n.id), ['n1']);
      assert.equal(version.metadata.team, 'other');
      assert.ok(watch.events.every((e) => e.service.nodes.every((n) => n.id === 'n1')));
      await until(() => registry.stats().probing === 0, 3000, 'the probes to finish');
      assert.equal(gate.calls.filter((c) => c.id === 'n1').length, 1);
      const keys = gate.calls.map((c) => `${c.id}@${c.address}`);
      assert.equal(keys.length, 21, 'each (id, address) probed once');
      assert.equal(new Set(keys).size, 21);
      assert.ok(registry.stats().rejected >= 20, JSON.stringify(registry.stats()));
    } finally {
      await close();
    }
  });

  test('mdns admission — listServices waits for records still being probed, so a process that lists once after starting sees them', async () => {
    const gate = createGate();
    const { spy, domain, registry, close } = await underAttack({ admit: gate.admit });
    try {
      assert.deepEqual(await registry.listServices(), [], 'warmed up, nothing yet');
      await announce(spy, domain, svc('greeter', '1', ['n1']));
      await until(() => gate.pending === 1, 3000, 'the probe to start');
      let answered = false;
      const listed = registry.listServices().finally(() => {
        answered = true;
      });
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      assert.equal(answered, false, 'listServices answered while a probe was running');
      gate.answer('n1', REAL, true);
      assert.deepEqual(
        (await listed).map((s) => s.name),
        ['greeter'],
      );
    } finally {
      await close();
    }
  });

  test('mdns admission — 10k fake nodes of a service: the cache stops at maxNodesPerService, the real node stays, lookups stay cheap', async () => {
    const { spy, domain, registry, close } = await underAttack();
    try {
      const real = svc('greeter', '1', ['n1']);
      await announce(spy, domain, real);
      await settle(spy, domain, registry);
      const heapBefore = process.memoryUsage().heapUsed;
      const started = performance.now();
      const fakes = Array.from({ length: 10_000 }, (_, i) => txtOf(domain, movedTo(svc('greeter', '1', [`fake-${i}`]), `127.0.0.1:${20_000 + (i % 40_000)}`), 60_000));
      await sendAll(spy, fakes);
      await sendAll(spy, [txtOf(domain, movedTo(real, POISON), 60_000)]);
      await settle(spy, domain, registry);
      const elapsed = performance.now() - started;
      const [version] = await registry.getService('greeter');
      assert.equal(version.nodes.length, 256);
      assert.equal(version.nodes.find((n) => n.id === 'n1')?.address, REAL);
      const stats = registry.stats();
      assert.ok(stats.droppedNodes > 5_000, `dropped ${stats.droppedNodes}`);
      assert.ok(elapsed < 10_000, `took ${elapsed.toFixed(0)} ms`);
      const heapGrowth = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
      assert.ok(heapGrowth < 64, `heap grew ${heapGrowth.toFixed(1)} MiB`);
      const t0 = performance.now();
      for (let i = 0; i < 1000; i++) await registry.getService('greeter');
      const perLookupUs = (performance.now() - t0) / 1000 * 1000;
      assert.ok(perLookupUs < 200, `a cached lookup took ${perLookupUs.toFixed(1)} µs`);
    } finally {
      await close();
    }
  });

  test('mdns admission — services and records in all are capped, and the registry\'s own registrations always fit', async () => {
    const { spy, domain, registry, close } = await underAttack({ limits: { maxServices: 50, maxRecords: 200 } });
    try {
      await settle(spy, domain, registry); // the marker service is the first of the 50
      const services = Array.from({ length: 500 }, (_, i) => txtOf(domain, svc(`fake-svc-${i}`, '1', ['x']), 60_000));
      await sendAll(spy, services);
      await settle(spy, domain, registry);
      assert.equal(new Set((await registry.listServices()).map((s) => s.name)).size, 50);
      assert.equal(registry.stats().services, 50);
      assert.ok(registry.stats().droppedServices >= 400, JSON.stringify(registry.stats()));
      const nodes = Array.from({ length: 500 }, (_, i) => txtOf(domain, svc('fake-svc-0', '1', [`y${i}`]), 60_000));
      await sendAll(spy, nodes);
      await until(() => registry.stats().droppedRecords > 0 && registry.stats().nodes === 200, 3000, 'the records cap');
      await registry.register(svc('own', '1', ['o1', 'o2', 'o3']));
      await registry.register({ ...svc('own-big', '1', ['o1']), metadata: { blob: 'x'.repeat(20_000) } });
      assert.deepEqual((await registry.getService('own'))[0].nodes.map((n) => n.id), ['o1', 'o2', 'o3']);
      assert.equal((await registry.getService('own-big'))[0].metadata.blob.length, 20_000);
      assert.equal(registry.stats().nodes, 204);
    } finally {
      await close();
    }
  });

  test('mdns admission — a TTL over maxTtlMs is cut to it', async () => {
    const clock = createSimulatedClock();
    const { spy, domain, registry, close } = await underAttack({ clock, limits: { maxTtlMs: 60_000 } });
    try {
      const watch = collectWatch(registry.watch({ service: 'forever' }));
      await announce(spy, domain, svc('forever', '1', ['n1']), 86_000_000);
      await watch.next((e) => e.type === 'create');
      clock.advance(59_999);
      await new Promise((r) => setImmediate(r));
      assert.equal(watch.events.length, 1);
      clock.advance(1);
      assert.equal((await watch.next((e) => e.type === 'delete', 100)).service.nodes[0].id, 'n1');
      assert.equal(registry.stats().ttlClamped, 1);
    } finally {
      await close();
    }
  });

  test('mdns admission — records over maxRecordBytes or maxMetadataBytes are dropped and counted', async () => {
    const log = createRecordingLogger();
    const { spy, domain, registry, close } = await underAttack({ logger: log, limits: { maxRecordBytes: 4096, maxMetadataBytes: 512 } });
    try {
      const endpoints = Array.from({ length: 100 }, (_, i) => ({ name: `E${i}.M${Math.random()}`, metadata: { r: String(Math.random()) } }));
      const records = [
        txtOf(domain, { ...svc('fat-meta', '1', ['n1']), metadata: { blob: 'x'.repeat(600) } }, 10_000),
        txtOf(domain, svc('fat-node', '1', ['n1']), 10_000, { id: 'n1', address: REAL, metadata: { blob: 'y'.repeat(600) } }),
        txtOf(domain, svc('fat-endpoints', '1', ['n1'], endpoints), 10_000),
      ];
      for (let i = 0; i < 20; i++) await sendAll(spy, records);
      await settle(spy, domain, registry);
      assert.deepEqual((await registry.listServices()).map((s) => s.name), [MARKER]);
      assert.equal(registry.stats().tooLarge, 60);
      const warns = log.entries.filter((e) => e.level === 'warn');
      assert.equal(warns.length, 1, 'one throttled warning');
      assert.equal(warns[0].message, 'registry record too large; dropped');
    } finally {
      await close();
    }
  });

  test('mdns admission — malformed records (bad JSON, wrong types, absurd lengths) are ignored, counted and logged throttled, never thrown', async () => {
    const log = createRecordingLogger();
    const { spy, domain, registry, close } = await underAttack({ logger: log });
    const names = mdnsNames(domain);
    const errors: unknown[] = [];
    const onError = (err: unknown) => errors.push(err);
    process.on('uncaughtException', onError);
    process.on('unhandledRejection', onError);
    try {
      const instance = instanceRecordName(names, 'x', '1', 'n1');
      const json = (payload: unknown): TxtAnswer => {
        const body = Buffer.from(JSON.stringify(payload));
        const parts: Buffer[] = [];
        for (let at = 0; at < body.length; at += 255) parts.push(body.subarray(at, at + 255));
        return { name: instance, type: 'TXT', ttl: 10, data: [Buffer.from(`mm=1;e=j;p=${parts.length}`), ...parts] };
      };
      const good = { n: 'x', v: '1', m: {}, e: [], i: 'n1', a: REAL, nm: {}, t: 10_000 };
      const deep = (depth: number): unknown => (depth === 0 ? { name: 'v', type: 't' } : { name: 'v', type: 't', values: [deep(depth - 1)] });
      const long = 'z'.repeat(5_000);
      const bad: TxtAnswer[] = [
        { name: instance, type: 'TXT', ttl: 10, data: [Buffer.from('mm=1;e=j;p=1'), Buffer.from('{garbage')] },
        { name: instance, type: 'TXT', ttl: 10, data: [Buffer.from('mm=1;e=j;p=99999'), Buffer.from('{}')] },
        { name: instance, type: 'TXT', ttl: 10, data: [Buffer.from('mm=1;e=z;p=1'), Buffer.from('not deflate')] },
        json(null),
        json([1, 2, 3]),
        json({ ...good, i: 5 }),
        json({ ...good, t: 'soon' }),
        json({ ...good, t: 1e15 }),
        json({ ...good, t: -1 }),
        json({ ...good, nm: { zone: 7 } }),
        json({ ...good, m: 'metadata' }),
        json({ ...good, e: 'endpoints' }),
        json({ ...good, e: [{ name: 3 }] }),
        json({ ...good, e: [{ name: 'E.M', metadata: {}, request: deep(40) }] }),
        json({ ...good, n: '' }),
        json({ ...good, i: '' }),
        json({ ...good, v: 'other' }),
        { ...json({ ...good, i: long }), name: instanceRecordName(names, 'x', '1', long) },
        { ...json({ ...good, a: long }), name: instance },
        { name: instance, type: 'TXT', ttl: 10, data: [Buffer.from('txtvers=1')] },
      ];
      for (const [i, record] of bad.entries()) {
        const before = registry.stats().malformed;
        await sendAll(spy, [record]);
        await settle(spy, domain, registry);
        assert.equal(registry.stats().malformed, before + 1, `record ${i} counted as malformed`);
      }
      for (let round = 0; round < 20; round++) await sendAll(spy, bad, 4);
      await settle(spy, domain, registry);
      assert.deepEqual((await registry.listServices()).map((s) => s.name), [MARKER]);
      assert.deepEqual(errors, []);
      assert.ok(registry.stats().malformed > bad.length, JSON.stringify(registry.stats()));
      const byMessage = new Map<string, number>();
      for (const e of log.entries) byMessage.set(e.message, (byMessage.get(e.message) ?? 0) + 1);
      assert.ok([...byMessage.values()].every((n) => n === 1), JSON.stringify([...byMessage]));
      assert.ok(log.entries.every((e) => e.level === 'debug'), JSON.stringify(log.entries.map((e) => e.message)));
      assert.ok(byMessage.has('ignoring a garbled micromesh TXT record'));
    } finally {
      process.off('uncaughtException', onError);
      process.off('unhandledRejection', onError);
      await close();
    }
  });
});
