import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { Redis } from 'ioredis';
import { connect as connectNats } from 'nats';
import pg from 'pg';
import { createSimulatedClock } from '../../src/actors/clock.ts';
import { builtinPlugin } from '../../src/mesh/plugins/builtin.ts';
import { createPluginTable } from '../../src/mesh/plugins/table.ts';
import { createFileStore } from '../../src/mesh/store/file.ts';
import { createMemoryStore } from '../../src/mesh/store/memory.ts';
import { withEnginePlugins } from '../../src/plugins/node.ts';
import { engineAvailable, runId } from '../support/engines.ts';
import { describeStore } from './store.ts';

// The simulated clocks start at an epoch-like time: expiry times are epoch ms.
describeStore('memory', async () => {
  const clock = createSimulatedClock(Date.now());
  return { store: createMemoryStore({ clock }), advance: (ms) => clock.advance(ms) };
});

describeStore('file', async () => {
  const clock = createSimulatedClock(Date.now());
  const directory = await mkdtemp(join(tmpdir(), 'micromesh-store-'));
  return {
    store: createFileStore({ directory, clock }),
    advance: (ms) => clock.advance(ms),
    cleanup: () => rm(directory, { recursive: true, force: true }),
  };
});

// The real engines, through the same plugin factories a node uses. Each test gets its own table or key prefix.
const enginePlugins = createPluginTable([builtinPlugin(), ...withEnginePlugins([])]);

describeStore('postgres', async () => {
  if (!(await engineAvailable('PostgreSQL', 5432))) return undefined;
  const table = runId();
  const { value: store } = await enginePlugins.resolve('store', `postgres://127.0.0.1:5432/test?table=${table}`, { nodeId: 'conformance' });
  return {
    store,
    cleanup: async () => {
      const client = new pg.Client({ host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres' });
      await client.connect();
      await client.query(`DROP TABLE IF EXISTS "${table}"`);
      await client.end();
    },
  };
});

describeStore('redis', async () => {
  if (!(await engineAvailable('Redis', 6379))) return undefined;
  const prefix = runId();
  const { value: store } = await enginePlugins.resolve('store', `redis://127.0.0.1:6379?prefix=${prefix}`, { nodeId: 'conformance' });
  return {
    store,
    cleanup: async () => {
      const redis = new Redis('redis://127.0.0.1:6379');
      for (const pattern of [`${prefix}:*`, `${prefix}-meta:*`]) {
        const keys = await redis.keys(pattern);
        if (keys.length > 0) await redis.del(...keys);
      }
      redis.disconnect();
    },
  };
});

describeStore('nats', async () => {
  if (!(await engineAvailable('NATS', 4222))) return undefined;
  const prefix = runId().replaceAll('_', '-');
  const { value: store } = await enginePlugins.resolve('store', `nats://127.0.0.1:4222?prefix=${prefix}`, { nodeId: 'conformance' });
  return {
    store,
    cleanup: async () => {
      const nc = await connectNats({ servers: '127.0.0.1:4222' });
      const jsm = await nc.jetstreamManager();
      for await (const info of jsm.streams.list()) if (info.config.name.startsWith(`KV_${prefix}_`)) await jsm.streams.delete(info.config.name);
      await nc.close();
    },
  };
});

after(() => enginePlugins.close());
