import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileEvents } from '../../src/mesh/events/file.ts';
import { createMemoryEvents } from '../../src/mesh/events/memory.ts';
import { after } from 'node:test';
import { Redis } from 'ioredis';
import { connect } from 'nats';
import { builtinPlugin } from '../../src/mesh/plugins/builtin.ts';
import { createPluginTable } from '../../src/mesh/plugins/table.ts';
import { withEnginePlugins } from '../../src/plugins/node.ts';
import { engineAvailable, runId } from '../support/engines.ts';
import { describeEvents } from './events.ts';

describeEvents('memory', async () => ({ backend: createMemoryEvents({ pollMs: 200 }) }));

describeEvents('file', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'micromesh-events-'));
  return {
    backend: createFileEvents({ directory, pollMs: 200 }),
    reopen: async () => createFileEvents({ directory, pollMs: 200 }),
    cleanup: () => rm(directory, { recursive: true, force: true }),
  };
});

// The real engines, through the same plugin factories a node uses. Each test gets its own stream prefix.
const enginePlugins = createPluginTable([builtinPlugin(), ...withEnginePlugins([])]);
after(() => enginePlugins.close());

describeEvents('jetstream', async () => {
  if (!(await engineAvailable('NATS', 4222))) return undefined;
  const prefix = `EV_${runId()}_`;
  const open = async () => (await enginePlugins.resolve('events', `nats://127.0.0.1:4222?streamPrefix=${prefix}&storage=memory`, { nodeId: 'conformance', options: { nats: { pollMs: 200 } } })).value;
  return { backend: await open(), reopen: open, peer: open, cleanup: () => deleteStreams(prefix) };
});

async function deleteStreams(prefix: string): Promise<void> {
  const nc = await connect({ servers: '127.0.0.1:4222' });
  try {
    const jsm = await nc.jetstreamManager();
    // The streams, and the buckets of per-key order (streams `KV_<prefix>KEYS` and `KV_<prefix>TURNS`).
    for await (const s of jsm.streams.list()) if (s.config.name.startsWith(prefix) || s.config.name.startsWith(`KV_${prefix}`)) await jsm.streams.delete(s.config.name);
  } finally {
    await nc.close();
  }
}

describeEvents('redis', async () => {
  if (!(await engineAvailable('Redis', 6379))) return undefined;
  const prefix = runId();
  const open = async () => (await enginePlugins.resolve('events', `redis://127.0.0.1:6379?prefix=${prefix}`, { nodeId: 'conformance', options: { redis: { pollMs: 200 } } })).value;
  return {
    backend: await open(),
    reopen: open,
    peer: open,
    cleanup: async () => {
      const redis = new Redis('redis://127.0.0.1:6379');
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    },
  };
});
