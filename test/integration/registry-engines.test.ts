import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NatsConnection } from 'nats';
import type { Redis } from 'ioredis';
import type { LinkedRegistry } from '../../src/mesh/registry/linked.ts';
import { encodeRecord } from '../../src/mesh/registry/linked-records.ts';
import { shareNats } from '../../src/plugins/nats/connection.ts';
import { createNatsRegistry } from '../../src/plugins/nats/registry.ts';
import { shareRedis } from '../../src/plugins/redis/connection.ts';
import { createRedisRegistry } from '../../src/plugins/redis/registry.ts';
import { eventually, ids, svc } from '../conformance/registry.ts';
import { type Engine, engineRegistry, registryContext } from '../support/engine-registries.ts';
import { startEngineServer } from '../support/engine-servers.ts';
import { engineAvailable, runId } from '../support/engines.ts';

const DEFAULT_URL = { nats: 'nats://127.0.0.1:4222', redis: 'redis://127.0.0.1:6379' } as const;
const PORTS = { nats: 4222, redis: 6379 } as const;

/** A registry and the raw client under it, with a counter of what it sends to the server. */
async function counted(engine: Engine, prefix: string, url: string = DEFAULT_URL[engine]) {
  const { ctx, close } = registryContext();
  let sent = 0;
  let registry: LinkedRegistry;
  let client: NatsConnection | Redis;
  if (engine === 'nats') {
    const lease = await shareNats(new URL(url), ctx);
    const nc = lease.value;
    const publish = nc.publish.bind(nc);
    nc.publish = (...args: Parameters<NatsConnection['publish']>) => {
      sent++;
      publish(...args);
    };
    client = nc;
    registry = createNatsRegistry(lease, { prefix: prefix.replaceAll(':', '.'), queryWindowMs: 100, ttlMs: 600 });
  } else {
    const lease = await shareRedis(new URL(url), ctx, {});
    const redis = lease.value;
    const send = redis.sendCommand.bind(redis);
    redis.sendCommand = ((...args: Parameters<Redis['sendCommand']>) => {
      sent++;
      return send(...args);
    }) as Redis['sendCommand'];
    client = redis;
    registry = createRedisRegistry(lease, { prefix, ttlMs: 600 });
  }
  await registry.ready();
  return {
    registry,
    client,
    sent: () => sent,
    close: async () => {
      await registry.close();
      await close();
    },
  };
}

for (const engine of ['nats', 'redis'] as const) {
  if (!(await engineAvailable(engine, PORTS[engine]))) continue;

  describe(`${engine} registry`, { timeout: 60_000 }, () => {
    test(`${engine} registry — a cached lookup costs no round trip to the server`, async () => {
      const prefix = `${runId()}:rt`;
      const writer = await engineRegistry(engine, prefix);
      const reader = await counted(engine, prefix);
      try {
        await writer.register(svc('rt-greeter', '1', ['w1']));
        await eventually(async () => assert.deepEqual(ids((await reader.registry.getService('rt-greeter'))[0]), ['w1']));
        const before = reader.sent();
        for (let i = 0; i < 1000; i++) await reader.registry.getService('rt-greeter');
        await assert.rejects(reader.registry.getService('rt-nobody'));
        await reader.registry.listServices();
        assert.equal(reader.sent(), before, '1000 lookups, a miss and a listing sent nothing');
      } finally {
        await Promise.all([writer.close(), reader.close()]);
      }
    });

    test(`${engine} registry — a node that dies without goodbye leaves the others' view after its TTL`, async () => {
      const prefix = `${runId()}:crash`;
      const dying = await counted(engine, prefix);
      const watcher = await engineRegistry(engine, prefix);
      try {
        await dying.registry.register(svc('crash-svc', '1', ['d1']));
        await eventually(() => watcher.getService('crash-svc'));
        const started = performance.now();
        // The connection goes without a goodbye, as when the process is killed.
        if (engine === 'nats') await (dying.client as NatsConnection).close();
        else (dying.client as Redis).disconnect();
        await eventually(() => assert.rejects(watcher.getService('crash-svc')), 5000);
        const took = performance.now() - started;
        assert.ok(took < 600 + 1000, `dropped after ${took.toFixed(0)} ms (TTL 600 ms)`);
      } finally {
        await Promise.all([dying.close().catch(() => {}), watcher.close()]);
      }
    });

    test(`${engine} registry — garbled records and records not matching their key are dropped and counted`, async () => {
      const prefix = `${runId()}:bad`;
      const reader = await engineRegistry(engine, prefix);
      const { ctx, close } = registryContext();
      try {
        const real = encodeRecord(svc('bad-svc', '1', ['n1']), svc('bad-svc', '1', ['n1']).nodes[0], 5000);
        const forged = encodeRecord(svc('bad-svc', '1', ['n2']), svc('bad-svc', '1', ['n2']).nodes[0], 5000);
        const items: Array<[string, string]> = [
          [real.key, '{not json'],
          [real.key, forged.data],
          [real.key, JSON.stringify({ s: { name: 'bad-svc', version: '1', nodes: [] }, t: 5000 })],
          [real.key, JSON.stringify({ s: { name: 'bad-svc', version: '1', nodes: [{ id: 'n1', address: 'x' }] }, t: -1 })],
        ];
        if (engine === 'nats') {
          const lease = await shareNats(new URL(DEFAULT_URL.nats), ctx);
          lease.value.publish(`${prefix.replaceAll(':', '.')}.put`, JSON.stringify({ r: items }));
          lease.value.publish(`${prefix.replaceAll(':', '.')}.put`, 'garbage');
          await lease.value.flush();
        } else {
          const lease = await shareRedis(new URL(DEFAULT_URL.redis), ctx, {});
          await lease.value.publish(`${prefix}:events`, JSON.stringify({ r: items }));
          await lease.value.publish(`${prefix}:events`, 'garbage');
        }
        await eventually(() => assert.equal(reader.stats().malformed, items.length));
        await assert.rejects(reader.getService('bad-svc'));
      } finally {
        await reader.close();
        await close();
      }
    });

    test(`${engine} registry — the server restarts: registrations come back by themselves`, async () => {
      const server = await startEngineServer(engine);
      const prefix = `${runId()}:restart`;
      const a = await counted(engine, prefix, server.url);
      const b = await counted(engine, prefix, server.url);
      try {
        await a.registry.register(svc('restart-a', '1', ['a1']));
        await eventually(() => b.registry.getService('restart-a'));
        await server.stop();
        await server.start();
        await b.registry.register(svc('restart-b', '1', ['b1']));
        await eventually(() => a.registry.getService('restart-b'), 10_000);
        // A's record survived the restart in B's view, and is on the server again (a third registry sees it).
        const c = await counted(engine, prefix, server.url);
        try {
          await eventually(async () => assert.deepEqual(ids((await c.registry.getService('restart-a'))[0]), ['a1']), 5000);
          assert.deepEqual(ids((await b.registry.getService('restart-a'))[0]), ['a1']);
        } finally {
          await c.close();
        }
      } finally {
        await Promise.all([a.close(), b.close()]);
        await server.stop();
      }
    });
  });
}

