import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { describe, test } from 'node:test';
import { createRecordingLogger } from '../../../../src/actors/logger.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { createMdnsRegistry, type MdnsRegistryOptions } from '../../../../src/mesh/registry/mdns.ts';
import { isLoopbackAddress } from '../../../../src/mesh/registry/mdns-packets.ts';
import { encodeInstance, instanceRecordName, mdnsNames, serviceRecordName } from '../../../../src/mesh/registry/mdns-records.ts';
import { collectWatch, ids, isNotFound, svc, withDeadline } from '../../../conformance/registry.ts';
import { announcementsOf, createSpy, isolated, queriesFor } from './mdns-spy.ts';

/** Registries (and a spy) on one isolated port; all closed at the end. */
async function mesh(count: number, extra: MdnsRegistryOptions = {}) {
  const options = isolated(extra);
  const spy = createSpy(options.port);
  const registries = Array.from({ length: count }, () => createMdnsRegistry(options));
  await Promise.all([spy.ready(), ...registries.map((r) => r.ready())]);
  const close = () => Promise.all([spy.close(), ...registries.map((r) => r.close())]);
  return { options, names: mdnsNames(options.domain), spy, registries, close };
}

describe('mdns registry', { timeout: 30_000 }, () => {
  test('mdns registry — registries in one process on one port see each other\'s registrations', async () => {
    const { registries: [a, b], close } = await mesh(2);
    try {
      const watch = collectWatch(b.watch({ service: 'greeter' }));
      await a.register(svc('greeter', '1', ['n1', 'n2'], [{ name: 'Say.Hello', metadata: {} }]));
      await watch.next((e) => e.service.nodes.length === 2);
      const [version] = await b.getService('greeter');
      assert.deepEqual(ids(version), ['n1', 'n2']);
      assert.deepEqual(version.endpoints, [{ name: 'Say.Hello', metadata: {} }]);
      assert.equal(version.nodes[0].address, '127.0.0.1:4002');
    } finally {
      await close();
    }
  });

  test('mdns registry — a service in the cache is answered without a query', async () => {
    const { registries: [a, b], spy, names, close } = await mesh(2);
    try {
      const watch = collectWatch(b.watch());
      await a.register(svc('cached', '1', ['n1']));
      await watch.next((e) => e.service.name === 'cached');
      const started = performance.now();
      const lookups = async () => {
        for (let i = 0; i < 1000; i++) assert.equal((await b.getService('cached'))[0].nodes[0].id, 'n1');
      };
      await withDeadline(lookups(), 1000, '1000 cached lookups');
      const perLookupUs = ((performance.now() - started) * 1000) / 1000;
      // A query b sent would reach the spy before b's next one: after this marker arrives, none can be on the way.
      await assert.rejects(b.getService('marker'), isNotFound('marker'));
      await spy.until(() => queriesFor(spy, serviceRecordName(names, 'marker')) === 1, 1000, 'the marker query');
      assert.equal(queriesFor(spy, serviceRecordName(names, 'cached')), 0);
      assert.ok(perLookupUs < 500, `a cached lookup took ${perLookupUs.toFixed(1)} µs`);
    } finally {
      await close();
    }
  });

  test('mdns registry — an unknown service rejects with SERVICE_NOT_FOUND within the 200 ms query window', async () => {
    const { registries: [a], close } = await mesh(1, { queryWindowMs: 200 });
    try {
      // A plain 200 ms timer started alongside tells how late this machine runs timers right now.
      const started = performance.now();
      const control = new Promise<number>((resolve) => setTimeout(() => resolve(performance.now() - started), 200));
      await assert.rejects(a.getService('nobody'), isNotFound('nobody'));
      const elapsed = performance.now() - started;
      const lateness = (await control) - 200;
      assert.ok(elapsed >= 190 && elapsed <= 260 + lateness, `rejected after ${elapsed.toFixed(0)} ms (timers ${lateness.toFixed(0)} ms late)`);
    } finally {
      await close();
    }
  });

  test('mdns registry — a lookup the cache cannot answer queries, and returns at the first answer, before the window ends', async () => {
    const { options, registries: [a], spy, names, close } = await mesh(1, { queryWindowMs: 1000 });
    const late = createMdnsRegistry(options);
    try {
      await a.register(svc('asked', '1', ['n1']));
      const started = performance.now();
      const [version] = await late.getService('asked');
      const elapsed = performance.now() - started;
      assert.deepEqual(ids(version), ['n1']);
      assert.ok(elapsed < 500, `answered after ${elapsed.toFixed(0)} ms of a 1000 ms window`);
      await spy.until(() => queriesFor(spy, serviceRecordName(names, 'asked')) === 1, 1000, 'the lookup query');
    } finally {
      await late.close();
      await close();
    }
  });

  test('mdns registry — concurrent lookups of one name share one query', async () => {
    const { registries: [a], spy, names, close } = await mesh(1, { queryWindowMs: 100 });
    try {
      const lookups = Array.from({ length: 5 }, () => a.getService('shared'));
      for (const lookup of lookups) await assert.rejects(lookup, isNotFound('shared'));
      await spy.until(() => queriesFor(spy, serviceRecordName(names, 'shared')) >= 1, 1000, 'the query');
      await assert.rejects(a.getService('marker'), isNotFound('marker'));
      await spy.until(() => queriesFor(spy, serviceRecordName(names, 'marker')) === 1, 1000, 'the marker query');
      assert.equal(queriesFor(spy, serviceRecordName(names, 'shared')), 1);
    } finally {
      await close();
    }
  });

  test('mdns registry — a fresh registry lists services registered before it started', async () => {
    const { options, registries: [a], close } = await mesh(1);
    const late = await a.register(svc('before', '1', ['n1'])).then(() => createMdnsRegistry(options), async (err) => {
      await close();
      throw err;
    });
    try {
      const all = await late.listServices();
      assert.deepEqual(all.map((s) => s.name), ['before']);
    } finally {
      await late.close();
      await close();
    }
  });

  test('mdns registry — a live node re-announces every ttl/3, so peers keep it past its TTL', async () => {
    const { registries: [a, b], spy, names, close } = await mesh(2);
    try {
      const watch = collectWatch(b.watch());
      await a.register(svc('alive', '1', ['n1']), { ttlMs: 300 });
      await watch.next((e) => e.type === 'create');
      const started = performance.now();
      const instance = instanceRecordName(names, 'alive', '1', 'n1');
      const before = announcementsOf(spy, instance);
      // Refreshes come every 100 ms; 1.5 TTLs later, a node without them would be gone.
      await spy.until(() => performance.now() - started > 450 && announcementsOf(spy, instance) >= before + 3, 3000, 'refreshes past the TTL');
      assert.deepEqual(ids((await b.getService('alive'))[0]), ['n1']);
      assert.ok(!watch.events.some((e) => e.type === 'delete'), 'the node never expired');
    } finally {
      await close();
    }
  });

  test('mdns registry — deregister and close say goodbye: peers drop the nodes at once, not after the TTL', async () => {
    const { registries: [a, b], close } = await mesh(2, { ttlMs: 60_000 });
    try {
      const watch = collectWatch(b.watch());
      await a.register(svc('bye', '1', ['n1', 'n2', 'n3']));
      await watch.next((e) => e.service.nodes.length === 3);
      await a.deregister(svc('bye', '1', ['n1']));
      assert.deepEqual(ids((await watch.next((e) => e.type === 'delete', 1000)).service), ['n1']);
      assert.deepEqual(ids((await b.getService('bye'))[0]), ['n2', 'n3']);
      await a.close();
      const gone = new Set<string>();
      while (gone.size < 2) for (const n of (await watch.next((e) => e.type === 'delete', 1000)).service.nodes) gone.add(n.id);
      assert.deepEqual([...gone].sort(), ['n2', 'n3']);
    } finally {
      await close();
    }
  });

  test('mdns registry — a peer that stops refreshing expires from the cache after its TTL', async () => {
    const { registries: [b], spy, names, close } = await mesh(1);
    try {
      const watch = collectWatch(b.watch());
      const service = svc('crashed', '1', ['n1']);
      const instance = instanceRecordName(names, 'crashed', '1', 'n1');
      spy.mdns.respond([{ name: instance, type: 'TXT', ttl: 1, data: encodeInstance(service, service.nodes[0], 300) }]);
      await watch.next((e) => e.type === 'create');
      const seen = performance.now();
      const expired = await watch.next((e) => e.type === 'delete', 2000);
      const after = performance.now() - seen;
      assert.deepEqual(ids(expired.service), ['n1']);
      assert.ok(after >= 280 && after < 1000, `expired ${after.toFixed(0)} ms after it was seen`);
      await assert.rejects(b.getService('crashed'), isNotFound('crashed'));
    } finally {
      await close();
    }
  });

  test('mdns registry — garbled, forged and foreign records are ignored and logged at debug', async () => {
    const log = createRecordingLogger();
    const { options, names, spy, close } = await mesh(0);
    const b = createMdnsRegistry({ ...options, logger: log });
    const raw = createSocket({ type: 'udp4', reuseAddr: true });
    try {
      await b.ready();
      const watch = collectWatch(b.watch());
      const good = svc('good', '1', ['n1']);
      const forged = svc('victim', '1', ['n1']);
      spy.mdns.respond([
        { name: instanceRecordName(names, 'x', '1', 'n1'), type: 'TXT', ttl: 10, data: [Buffer.from('mm=1;e=j;p=1'), Buffer.from('{garbage')] },
        { name: instanceRecordName(names, 'x', '1', 'n2'), type: 'TXT', ttl: 10, data: ['txtvers=1'] },
        { name: 'printer._ipp._tcp.local', type: 'TXT', ttl: 10, data: ['mm=1;e=j;p=1', '{}'] },
        { name: instanceRecordName(names, 'attacker', '1', 'n9'), type: 'TXT', ttl: 10, data: encodeInstance(forged, forged.nodes[0], 10_000) },
      ]);
      await new Promise<void>((resolve, reject) => raw.bind(0, '127.0.0.1', () => {
        raw.setMulticastInterface('127.0.0.1');
        raw.send(Buffer.from([1, 2, 3]), options.port, '224.0.0.251', (err) => (err ? reject(err) : resolve()));
      }));
      // Packets from one sender arrive in order: once this one is in, the bad ones were handled before it.
      spy.mdns.respond([{ name: instanceRecordName(names, 'good', '1', 'n1'), type: 'TXT', ttl: 10, data: encodeInstance(good, good.nodes[0], 10_000) }]);
      await watch.next((e) => e.service.name === 'good');
      assert.deepEqual((await b.listServices()).map((s) => s.name), ['good']);
      const debug = log.entries.filter((e) => e.level === 'debug').map((e) => e.message);
      assert.ok(debug.includes('ignoring a garbled micromesh TXT record'), debug.join('; '));
      assert.ok(debug.includes('ignoring a TXT record without the micromesh marker'));
      assert.ok(debug.includes('ignoring a TXT record whose name does not match its content'));
      await spy.until(() => log.entries.some((e) => e.message === 'mdns socket warning'), 1000, 'the undecodable datagram to be logged');
      assert.ok(!log.entries.some((e) => e.level === 'error' || e.level === 'warn'));
    } finally {
      raw.close();
      await b.close();
      await close();
    }
  });

  test('mdns registry — a lookup pending when the registry closes rejects with UNAVAILABLE', async () => {
    const { registries: [a], close } = await mesh(1, { queryWindowMs: 5_000 });
    try {
      const pending = a.getService('never');
      await a.close();
      await withDeadline(assert.rejects(pending, (err) => err instanceof MicroError && err.reason === 'UNAVAILABLE'), 1000, 'the pending lookup');
    } finally {
      await close();
    }
  });

  test('mdns registry — loopback mode accepts only loopback sources', () => {
    for (const address of ['127.0.0.1', '127.3.2.1', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopbackAddress(address), address);
    for (const address of ['192.168.1.10', '10.0.0.1', '0.0.0.0', '::ffff:10.0.0.1', 'fe80::1']) assert.ok(!isLoopbackAddress(address), address);
  });
});
