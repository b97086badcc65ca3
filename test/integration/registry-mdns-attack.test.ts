import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { killChild, startRegistryChild } from '../support/processes.ts';
import { createMdnsRegistry } from '../../src/mesh/registry/mdns.ts';
import { collectWatch, svc } from '../conformance/registry.ts';
import { createGate, settle } from '../unit/mesh/registry/admission-helpers.ts';
import { createSpy, isolated, movedTo, sendAll, txtOf } from '../unit/mesh/registry/mdns-spy.ts';

// A real node registers from its own process; an attacker in this one (any process that can send a multicast
// packet on the loopback) claims that node's id at another address and floods 10k fake nodes of its service.
// A reader with an admit probe keeps resolving the real node only; a reader without one keeps the real address
// and stops taking fake nodes at the per-service cap.

const SERVICE = 'attacked-svc';
const REAL = '127.0.0.1:45123';
const POISON = '127.0.0.1:6666';

const startChild = (port: number, domain: string, ttlMs: number) => startRegistryChild(port, domain, SERVICE, ttlMs, REAL);
const stopChild = killChild;

describe('mdns registry attacked across processes', { timeout: 60_000 }, () => {
  test('registry attack — a poisoned node id and 10k fake nodes: readers keep resolving the real node, their caches stay capped', async () => {
    const { port, domain } = isolated();
    const gate = createGate((node) => node.id === 'child-1' && node.address === REAL);
    const guarded = createMdnsRegistry({ port, domain, admit: gate.admit });
    const plain = createMdnsRegistry({ port, domain });
    const attacker = createSpy(port);
    const guardedWatch = collectWatch(guarded.watch({ service: SERVICE }));
    const plainWatch = collectWatch(plain.watch({ service: SERVICE }));
    await Promise.all([guarded.ready(), plain.ready(), attacker.ready()]);
    // TTL 3 s: the real node refreshes every second, so its refreshes cross the attack.
    const child = startChild(port, domain, 3_000);
    try {
      await guardedWatch.next((e) => e.type === 'create', 15_000);
      await plainWatch.next((e) => e.type === 'create', 5_000);
      const [real] = await plain.getService(SERVICE);
      assert.equal(real.nodes[0].address, REAL);

      const started = performance.now();
      const poison = txtOf(domain, movedTo(real, POISON), 60_000);
      const fakes = Array.from({ length: 10_000 }, (_, i) => txtOf(domain, movedTo(svc(SERVICE, '1.0.0', [`fake-${i}`]), `127.0.0.1:${20_000 + i}`), 60_000));
      // Three rounds spread over more than a refresh period of the real node.
      for (let round = 0; round < 3; round++) {
        await sendAll(attacker, [poison, ...fakes, poison]);
        await new Promise((r) => setTimeout(r, 400));
      }
      await settle(attacker, domain, guarded);
      await settle(attacker, domain, plain);
      const elapsed = performance.now() - started;

      const [seen] = await guarded.getService(SERVICE);
      assert.deepEqual(seen.nodes.map((n) => [n.id, n.address]), [['child-1', REAL]]);
      assert.ok(guardedWatch.events.every((e) => e.service.nodes.every((n) => n.id === 'child-1' && n.address === REAL)));
      const [capped] = await plain.getService(SERVICE);
      assert.equal(capped.nodes.length, 256);
      assert.equal(capped.nodes.find((n) => n.id === 'child-1')?.address, REAL);

      const g = guarded.stats();
      const p = plain.stats();
      assert.ok(g.nodes <= 3, `guarded cache holds ${g.nodes} nodes`);
      assert.ok(g.conflicts > 0 && g.rejected > 0 && g.replaced === 0, JSON.stringify(g));
      assert.ok(g.probes <= 10_050 && g.held <= 1_040, `each fake probed once at most: ${JSON.stringify(g)}`);
      assert.equal(gate.calls.filter((c) => c.id === 'child-1' && c.address === REAL).length, 1, 'the real node is probed once');
      assert.equal(gate.calls.filter((c) => c.address === POISON).length, 1, 'the poisoned address is probed once');
      assert.ok(p.droppedNodes > 10_000 && p.conflicts > 0 && p.replaced === 0, JSON.stringify(p));
      assert.ok(elapsed < 30_000, `the attack took ${elapsed.toFixed(0)} ms to absorb`);
    } finally {
      await stopChild(child);
      await Promise.all([guarded.close(), plain.close(), attacker.close()]);
    }
  });
});
