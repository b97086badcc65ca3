import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createSimulatedClock, type SimulatedClock } from '../../../../src/actors/clock.ts';
import { createRecordingLogger, type Logger, silentLogger } from '../../../../src/actors/logger.ts';
import { Admission, type AdmitCandidate, type AdmitProbe, type Offer, type RecordLimits } from '../../../../src/mesh/registry/admission.ts';
import type { Service } from '../../../../src/mesh/registry/registry.ts';
import { ServiceTable } from '../../../../src/mesh/registry/service-table.ts';
import { svc } from '../../../conformance/registry.ts';
import { createGate, until } from './admission-helpers.ts';
import { movedTo } from './mdns-spy.ts';

// Admission on its own: a ServiceTable, a simulated clock, and offers as a back end would make them.

interface Harness {
  admission: Admission<null>;
  table: ServiceTable;
  clock: SimulatedClock;
  /** Offers a record; what admission took at once goes into the table, as a back end does. */
  offer(service: Service, ttlMs?: number): boolean;
}

function harness(options: { admit?: AdmitProbe; limits?: Partial<RecordLimits>; logger?: Logger } = {}): Harness {
  const table = new ServiceTable();
  const clock = createSimulatedClock();
  const put = (o: Offer<null>, expiresAt: number) => table.upsert(o.service, expiresAt);
  const admission = new Admission<null>({ table, clock, logger: options.logger ?? silentLogger, admit: options.admit, limits: options.limits, accept: put });
  const offer = (service: Service, ttlMs = 10_000) => {
    const accepted = admission.offer({ service, ttlMs, bytes: 100, extra: null });
    if (accepted !== undefined) put(accepted, clock.now() + accepted.ttlMs);
    return accepted !== undefined;
  };
  return { admission, table, clock, offer };
}

const fake = (i: number, service = 'greeter') => movedTo(svc(service, '1', [`fake-${i}`]), `127.0.0.1:${20_000 + i}`);
const flush = () => new Promise((r) => setImmediate(r));

describe('registry admission', () => {
  test('admission — without admit, a conflicting record waits until the known node leaves, and not past its own TTL', () => {
    const { admission, table, clock, offer } = harness();
    const real = svc('greeter', '1', ['n1']);
    assert.ok(offer(real, 5_000));
    assert.ok(!offer(movedTo(real, '127.0.0.1:6666'), 20_000));
    assert.equal(table.node('greeter', '1', 'n1')?.address, '127.0.0.1:4002');
    table.remove('greeter', '1', ['n1']);
    admission.released('greeter', '1', 'n1');
    assert.equal(table.node('greeter', '1', 'n1')?.address, '127.0.0.1:6666');
    // A held record whose own TTL ran out is not promoted.
    assert.ok(!offer(movedTo(real, '127.0.0.1:7777'), 1_000));
    clock.advance(1_000);
    table.remove('greeter', '1', ['n1']);
    admission.released('greeter', '1', 'n1');
    assert.equal(table.node('greeter', '1', 'n1'), undefined);
    assert.deepEqual([admission.stats().conflicts, admission.stats().replaced, admission.stats().held], [2, 1, 0]);
  });

  test('admission — probes run admitConcurrency at a time, at most admitQueue wait, the rest are dropped and counted', async () => {
    const gate = createGate();
    const { admission, table, offer } = harness({ admit: gate.admit, limits: { admitConcurrency: 4, admitQueue: 10 } });
    for (let i = 0; i < 100; i++) offer(fake(i));
    await flush();
    assert.equal(gate.calls.length, 4);
    assert.deepEqual([admission.stats().probing, admission.stats().held, admission.stats().queueFull], [14, 14, 86]);
    assert.equal(table.nodeCount(), 0);
    for (let answered = 0; answered < 14; answered++) {
      const call = gate.calls[answered];
      gate.answer(call.id, call.address, true);
      await flush();
    }
    assert.equal(gate.calls.length, 14);
    assert.equal(table.nodeCount('greeter'), 14);
    assert.deepEqual([admission.stats().probes, admission.stats().admitted, admission.stats().probing, admission.stats().held], [14, 14, 0, 0]);
  });

  test('admission — a probe that does not settle within admitTimeoutMs is a no, and the no is cached', async () => {
    const gate = createGate();
    const { admission, table, clock, offer } = harness({ admit: gate.admit, limits: { admitTimeoutMs: 1_000, rejectedCacheMs: 30_000 } });
    offer(fake(1));
    await flush();
    clock.advance(1_000);
    await flush();
    assert.equal(admission.stats().rejected, 1);
    assert.equal(table.nodeCount(), 0);
    assert.ok(!offer(fake(1)));
    await flush();
    assert.equal(gate.calls.length, 1);
    clock.advance(30_000);
    offer(fake(1));
    await flush();
    assert.equal(gate.calls.length, 2, 'asked again once the no is stale');
  });

  test('admission — answers are cached per (id, address), at most admitCacheSize of them', async () => {
    const gate = createGate(() => false);
    const { admission, offer } = harness({ admit: gate.admit, limits: { admitCacheSize: 100, admitQueue: 2_000 } });
    for (let i = 0; i < 1_000; i++) offer(fake(i));
    await flush();
    await flush();
    assert.equal(gate.calls.length, 1_000);
    offer(fake(999));
    offer(movedTo(svc('other-service', '1', ['fake-999']), '127.0.0.1:20999'));
    await flush();
    assert.equal(gate.calls.length, 1_000, 'the newest answers are cached, for every service of that node');
    offer(fake(0));
    await flush();
    assert.equal(gate.calls.length, 1_001, 'the oldest was evicted');
    assert.equal(admission.stats().probing, 0);
  });

  test('admission — 10k fake nodes with admit: none enters, probes and held records stay bounded, floods again are not probed again', async () => {
    // Each probe takes a millisecond, as a refused dial does: the flood outruns them.
    const calls: AdmitCandidate[] = [];
    const admit: AdmitProbe = (node) => {
      calls.push(node);
      return new Promise((resolve) => setTimeout(() => resolve(false), 1));
    };
    const log = createRecordingLogger();
    const { admission, table, offer } = harness({ admit, logger: log });
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    let maxHeld = 0;
    let maxProbing = 0;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 10_000; i++) {
        offer(fake(i));
        if (i % 500 === 0) {
          maxHeld = Math.max(maxHeld, admission.stats().held);
          maxProbing = Math.max(maxProbing, admission.stats().probing);
          await flush();
        }
      }
      await flush();
    }
    await until(() => admission.stats().probing === 0, 5_000, 'the probes to finish');
    const elapsed = performance.now() - started;
    const stats = admission.stats();
    assert.equal(table.nodeCount(), 0);
    assert.ok(maxHeld <= 16 + 1_024 && maxProbing <= 16 + 1_024, `held ${maxHeld}, probing ${maxProbing}`);
    const keys = new Set(calls.map((c) => `${c.id}@${c.address}`));
    assert.equal(keys.size, calls.length, 'no (id, address) probed twice');
    assert.equal(stats.probes, calls.length);
    assert.ok(stats.rejected > 0 && stats.queueFull > 0, JSON.stringify(stats));
    assert.ok(elapsed < 15_000, `took ${elapsed.toFixed(0)} ms`);
    const heapGrowth = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    assert.ok(heapGrowth < 32, `heap grew ${heapGrowth.toFixed(1)} MiB`);
    const warnings = log.entries.filter((e) => e.level === 'warn');
    assert.deepEqual(
      [...new Set(warnings.map((e) => e.message))].sort(),
      ['registry records dropped over a limit', 'registry records rejected: their address did not answer as their node'],
    );
    assert.equal(warnings.length, 2, 'one throttled warning each');
  });

  test('admission — limits: services, nodes per service, records in all; a change of a known node is not a new one', () => {
    const { admission, table, offer } = harness({ limits: { maxServices: 3, maxNodesPerService: 5, maxRecords: 12 } });
    for (let i = 0; i < 10; i++) offer(fake(i, 'a'));
    assert.equal(table.nodeCount('a'), 5);
    for (let i = 0; i < 10; i++) offer(fake(i, `s${i}`));
    assert.equal(table.serviceCount, 3);
    for (let i = 10; i < 20; i++) offer(fake(i, 's0'));
    for (let i = 20; i < 30; i++) offer(fake(i, 's1'));
    assert.equal(table.nodeCount(), 12);
    assert.ok(offer({ ...fake(0, 'a'), metadata: { changed: 'yes' } }), 'a known node still refreshes at the cap');
    const s = admission.stats();
    assert.deepEqual([s.droppedNodes, s.droppedServices, s.droppedRecords], [5 + 6, 8, 9]);
  });

  test('admission — TTLs over maxTtlMs are cut, oversized records dropped', () => {
    const { admission, offer } = harness({ limits: { maxTtlMs: 60_000, maxRecordBytes: 1_000, maxMetadataBytes: 100 } });
    const accepted = admission.offer({ service: fake(1), ttlMs: 3_600_000, bytes: 100, extra: null });
    assert.equal(accepted?.ttlMs, 60_000);
    assert.equal(admission.offer({ service: fake(2), ttlMs: 1_000, bytes: 1_001, extra: null }), undefined);
    assert.ok(!offer({ ...fake(3), metadata: { k: 'v'.repeat(100) } }));
    assert.deepEqual([admission.stats().ttlClamped, admission.stats().tooLarge], [1, 2]);
  });
});
