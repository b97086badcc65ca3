/**
 * Locks, per back end (cases `lock-memory`, `lock-redis`, `lock-postgres`, `lock-nats`): one `lock(id)` + `release()`
 * per operation (ttl 10 s) at concurrency 1 and 64, each loop on its own lock id. `lock-redis` has a peer doing the
 * same work in the same run: a raw ioredis loop of `SET key token NX PX` and a Lua compare-and-delete release. Back ends whose server is not on 127.0.0.1 are left out with a line.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { builtinPlugin } from '../../src/mesh/plugins/builtin.ts';
import { createPluginTable } from '../../src/mesh/plugins/table.ts';
import type { Sync } from '../../src/mesh/sync/sync.ts';
import { withEnginePlugins } from '../../src/plugins/node.ts';
import { reachable } from '../../test/support/engines.ts';
import type { BenchContext } from '../lib/context.ts';
import { measure } from '../lib/measure.ts';

const CONCURRENCY = [1, 64] as const;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export default async function run(ctx: BenchContext): Promise<void> {
  const id = Math.random().toString(36).slice(2, 8);
  const plugins = createPluginTable([builtinPlugin(), ...withEnginePlugins([])]);
  const backends = [
    { name: 'memory', port: undefined, url: 'memory' },
    { name: 'redis', port: 6379, url: `redis://127.0.0.1:6379?prefix=bench-sync-${id}` },
    { name: 'postgres', port: 5432, url: `postgres://127.0.0.1:5432/test?table=bench_sync_${id}` },
    { name: 'nats', port: 4222, url: `nats://127.0.0.1:4222?prefix=bench-sync-${id}` },
  ];
  const redis = (await reachable(6379)) ? new Redis('redis://127.0.0.1:6379') : undefined;
  for (const concurrency of CONCURRENCY) {
    if (redis !== undefined) {
      let n = 0;
      await measure(ctx, {
        case: 'lock-redis',
        impl: 'raw-redis',
        concurrency,
        payloadBytes: 0,
        op: async () => {
          const key = `bench-raw-lock-${id}:${n++ % concurrency}`;
          const token = randomBytes(8).toString('hex');
          if ((await redis.set(key, token, 'PX', 10_000, 'NX')) !== 'OK') throw new Error(`raw lock ${key} was held`);
          await redis.eval(RELEASE, 1, key, token);
        },
      });
    }
    for (const backend of backends) {
      if (backend.port !== undefined && !(await reachable(backend.port))) {
        ctx.log(`${backend.name}: nothing listens on 127.0.0.1:${backend.port}; left out`);
        continue;
      }
      const { value: sync } = (await plugins.resolve('sync', backend.url, { nodeId: 'bench' })) as { value: Sync };
      let n = 0;
      try {
        await measure(ctx, {
          case: `lock-${backend.name}`,
          impl: 'micromesh',
          concurrency,
          payloadBytes: 0,
          op: async () => {
            const lease = await sync.lock(`l${n++ % concurrency}`, { ttlMs: 10_000, waitMs: 5000 });
            await lease.release();
          },
        });
      } finally {
        await sync.close();
      }
    }
  }
  redis?.disconnect();
  await plugins.close();
}
