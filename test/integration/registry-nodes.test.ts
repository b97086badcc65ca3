import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { silentLogger } from '../../src/actors/logger.ts';
import { MicroError } from '../../src/mesh/errors.ts';
import type { MeshNode } from '../../src/mesh/mesh-node.ts';
import { defineService } from '../../src/mesh/service.ts';
import { createNode } from '../../src/plugins/node.ts';
import { eventually } from '../conformance/registry.ts';
import { startEngineServer } from '../support/engine-servers.ts';
import { engineAvailable, runId } from '../support/engines.ts';

// Nodes on the NATS and Redis registries: chosen by URL or MICRO_REGISTRY, their engine connection an actor the
// node inspects, and what happens to calls when the engine server restarts under them.
const echo = (name: string) => defineService({ name, version: '1', endpoints: { 'Echo.Call': { handler: (req: { n: number }) => ({ n: req.n }) } } });

for (const engine of ['nats', 'redis'] as const) {
  const port = engine === 'nats' ? 4222 : 6379;
  if (!(await engineAvailable(engine, port))) continue;
  const prefix = () => (engine === 'nats' ? `${runId()}.reg` : `${runId()}:reg`);

  describe(`${engine} registry nodes`, { timeout: 90_000 }, () => {
    test(`${engine} registry nodes — chosen by URL and by MICRO_REGISTRY; the engine connection is an actor node.inspect() lists`, async () => {
      const url = `${engine}://127.0.0.1:${port}?prefix=${prefix()}`;
      const a = await createNode({ registry: url, logger: silentLogger });
      const previous = process.env.MICRO_REGISTRY;
      process.env.MICRO_REGISTRY = url;
      let b: MeshNode | undefined;
      try {
        b = await createNode({ logger: silentLogger });
        assert.equal(a.registry.name, engine);
        assert.equal(b.registry.name, engine);
        await b.serve(echo('nodes-echo'));
        assert.deepEqual(await eventually(() => a.client.call('nodes-echo', 'Echo.Call', { n: 7 }, { timeoutMs: 2000 })), { n: 7 });
        const ids = (await a.inspect()).children.map((c) => c.id);
        assert.ok(ids.includes(`engine-${engine}@127.0.0.1:${port}`), `inspect lists the connection actor: ${ids.join(', ')}`);
      } finally {
        if (previous === undefined) delete process.env.MICRO_REGISTRY;
        else process.env.MICRO_REGISTRY = previous;
        await Promise.all([a.stop(), b?.stop()]);
      }
    });

    test(`${engine} registry nodes — the server restarts: calls go on, a call that cannot be carried fails with 503 in time, new nodes are seen`, async () => {
      const server = await startEngineServer(engine);
      const url = `${server.url}?prefix=${prefix()}`;
      const nodes: MeshNode[] = [];
      const node = async () => {
        const n = await createNode({ registry: url, logger: silentLogger });
        nodes.push(n);
        return n;
      };
      try {
        const a = await node();
        const b = await node();
        const c = await node();
        await b.serve(echo('restart-b'));
        await c.serve(echo('restart-c'));
        await eventually(() => a.registry.getService('restart-b'));
        await eventually(() => a.client.call('restart-c', 'Echo.Call', { n: 1 }, { timeoutMs: 2000 }));
        await server.stop();
        // The registry is away (longer than a registration's TTL): calls to known nodes go on over TCP, from the cache.
        await new Promise((r) => setTimeout(r, 3000));
        assert.deepEqual(await a.client.call('restart-c', 'Echo.Call', { n: 2 }, { timeoutMs: 2000 }), { n: 2 });
        // B, which A never called, goes while no goodbye can reach A: a call to it cannot be carried, and says so in time.
        await b.stop();
        const started = performance.now();
        const err = await a.client.call('restart-b', 'Echo.Call', { n: 3 }, { timeoutMs: 2000 }).then(
          () => undefined,
          (e: unknown) => e,
        );
        const took = performance.now() - started;
        assert.ok(err instanceof MicroError && err.code === 503, `a typed 503, got ${String(err)}`);
        assert.ok(took < 2500, `failed after ${took.toFixed(0)} ms, within its 2000 ms deadline`);
        await server.start();
        // Registrations come back by themselves; a node that starts now is seen, and calls reach it.
        const d = await node();
        await d.serve(echo('restart-d'));
        assert.deepEqual(await eventually(() => a.client.call('restart-d', 'Echo.Call', { n: 4 }, { timeoutMs: 2000 }), 15_000), { n: 4 });
        assert.deepEqual(await eventually(() => d.client.call('restart-c', 'Echo.Call', { n: 5 }, { timeoutMs: 2000 }), 15_000), { n: 5 });
      } finally {
        await Promise.all(nodes.map((n) => n.stop().catch(() => {})));
        await server.stop();
      }
    });
  });
}
