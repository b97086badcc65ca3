import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { killChild, startRegistryChild } from '../../../support/processes.ts';
import { createMdnsRegistry } from '../../../../src/mesh/registry/mdns.ts';
import { collectWatch, ids, withDeadline } from '../../../conformance/registry.ts';
import { isolated } from './mdns-spy.ts';


const startChild = (port: number, domain: string, service: string, ttlMs: number) => startRegistryChild(port, domain, service, ttlMs);
const stopChild = killChild;

describe('mdns registry across processes', { timeout: 60_000 }, () => {
  test('mdns registry across processes — a child\'s registration reaches the parent, and its goodbye when it stops', async () => {
    const { port, domain } = isolated();
    const parent = createMdnsRegistry({ port, domain });
    const watch = collectWatch(parent.watch({ service: 'child-svc' }));
    await parent.ready();
    // A long TTL: only the goodbye can remove the node within the test's deadline.
    const child = startChild(port, domain, 'child-svc', 60_000);
    try {
      const created = await watch.next((e) => e.type === 'create', 15_000);
      assert.deepEqual(ids(created.service), ['child-1']);
      assert.equal(created.service.metadata.pid, String(child.pid));
      const [version] = await parent.getService('child-svc');
      assert.deepEqual(version.endpoints.map((e) => e.name), ['Child.Ping']);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const deleted = await watch.next((e) => e.type === 'delete', 5_000);
      assert.deepEqual(ids(deleted.service), ['child-1']);
      const [code] = await withDeadline(exited, 5_000, 'the child to exit');
      assert.equal(code, 0);
    } finally {
      await stopChild(child);
      await parent.close();
    }
  });

  test('mdns registry across processes — a SIGKILLed child disappears after its TTL', async () => {
    const { port, domain } = isolated();
    const ttlMs = 600;
    const parent = createMdnsRegistry({ port, domain });
    const watch = collectWatch(parent.watch({ service: 'doomed-svc' }));
    await parent.ready();
    const child = startChild(port, domain, 'doomed-svc', ttlMs);
    try {
      await watch.next((e) => e.type === 'create', 15_000);
      const exited = once(child, 'exit');
      const killedAt = performance.now();
      child.kill('SIGKILL');
      await exited;
      const deleted = await watch.next((e) => e.type === 'delete', 5_000);
      const after = performance.now() - killedAt;
      assert.deepEqual(ids(deleted.service), ['child-1']);
      // No goodbye: the node lasts until its TTL runs out from the last refresh, at most ttl/3 before the kill.
      assert.ok(after >= ttlMs / 3 && after <= ttlMs + 1_000, `gone ${after.toFixed(0)} ms after the kill`);
      await assert.rejects(parent.getService('doomed-svc'));
    } finally {
      await stopChild(child);
      await parent.close();
    }
  });
});
