import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { connect as connectNats, type NatsConnection } from 'nats';
import pg from 'pg';
import { processClock } from '../../src/actors/clock.ts';
import { builtinPlugin } from '../../src/mesh/plugins/builtin.ts';
import type { SharedLease } from '../../src/mesh/plugins/resources.ts';
import { createPluginTable } from '../../src/mesh/plugins/table.ts';
import { MemorySyncBackend } from '../../src/mesh/sync/memory.ts';
import type { PostgresPool } from '../../src/plugins/postgres/connection.ts';
import { PostgresSyncBackend } from '../../src/plugins/postgres/sync.ts';
import { RedisSyncBackend } from '../../src/plugins/redis/sync.ts';
import { NatsSyncBackend } from '../../src/plugins/nats/sync.ts';
import { withEnginePlugins } from '../../src/plugins/node.ts';
import { engineAvailable, runId } from '../support/engines.ts';
import { describeSync } from './sync.ts';

const PG = { host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres' };

describeSync('memory', async () => ({ backend: new MemorySyncBackend(processClock) }));

describeSync('redis', async () => {
  if (!(await engineAvailable('Redis', 6379))) return undefined;
  const prefix = runId();
  const redis = new Redis('redis://127.0.0.1:6379');
  const lease: SharedLease<Redis> = { value: redis, release: async () => {} };
  return {
    backend: new RedisSyncBackend(lease, { prefix }),
    cleanup: async () => {
      const keys = [...(await redis.keys(`${prefix}:*`)), ...(await redis.keys(`${prefix}-token:*`))];
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    },
  };
});

describeSync('postgres', async () => {
  if (!(await engineAvailable('PostgreSQL', 5432))) return undefined;
  const table = runId();
  const pool = new pg.Pool({ ...PG, max: 8 });
  const lease: SharedLease<PostgresPool> = { value: pool, release: async () => {} };
  return {
    backend: new PostgresSyncBackend(lease, { table }),
    cleanup: async () => {
      await pool.query(`DROP TABLE IF EXISTS "${table}"`);
      await pool.end();
    },
  };
});

describeSync('nats', async () => {
  if (!(await engineAvailable('NATS', 4222))) return undefined;
  const bucket = runId().replaceAll('_', '-');
  const nc = await connectNats({ servers: '127.0.0.1:4222' });
  const lease: SharedLease<NatsConnection> = { value: nc, release: async () => {} };
  return {
    backend: new NatsSyncBackend(lease, { prefix: bucket }),
    cleanup: async () => {
      await (await nc.jetstreamManager()).streams.delete(`KV_${bucket}`).catch(() => {});
      await nc.close();
    },
  };
});

// The plugin factories a node uses: by URL, with the URL's settings.
const plugins = createPluginTable([builtinPlugin(), ...withEnginePlugins([])]);
after(() => plugins.close());

test('sync plugins — memory by name; redis and postgres by URL, each locking on its engine', async () => {
  const memory = await plugins.resolve('sync', 'memory', { nodeId: 'plugins' });
  assert.equal(memory.value.name, 'memory');
  await (await memory.value.lock('m')).release();
  await memory.value.close();
  if (await engineAvailable('Redis', 6379)) {
    const prefix = runId();
    const { value: sync } = await plugins.resolve('sync', `redis://127.0.0.1:6379?prefix=${prefix}`, { nodeId: 'plugins' });
    const lease = await sync.lock('plugged', { ttlMs: 5000 });
    const redis = new Redis('redis://127.0.0.1:6379');
    assert.equal(await redis.get(`${prefix}:plugged`), String(lease.token), 'the key holds the fencing token');
    await sync.close();
    assert.equal(await redis.get(`${prefix}:plugged`), null, 'closing released it');
    await redis.del(`${prefix}-token:plugged`);
    redis.disconnect();
  }
  if (await engineAvailable('PostgreSQL', 5432)) {
    const table = runId();
    const { value: sync } = await plugins.resolve('sync', `postgres://127.0.0.1:5432/test?table=${table}`, { nodeId: 'plugins' });
    const lease = await sync.lock('plugged', { ttlMs: 5000 });
    const client = new pg.Client(PG);
    await client.connect();
    const { rows } = await client.query(`SELECT token, holder, expires_at > now() AS live FROM "${table}" WHERE id = 'plugged'`);
    assert.deepEqual(rows, [{ token: String(lease.token), holder: 'plugins/1', live: true }]);
    await sync.close();
    await client.query(`DROP TABLE IF EXISTS "${table}"`);
    await client.end();
  }
});
