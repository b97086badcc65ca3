/** The redis plugin: store and sync `redis` (also `redis://` and `rediss://` URLs). */
import { MicroError } from '../../mesh/errors.ts';
import { definePlugin, type Plugin } from '../../mesh/plugins/plugin.ts';
import { createStore } from '../../mesh/store/scoped.ts';
import { redisBrokerFactory } from './broker-factory.ts';
import { shareRedis } from './connection.ts';
import type { RedisBrokerOptions, RedisConnectionOptions, RedisStoreOptions, RedisSyncOptions } from './options.ts';
import { redisRegistryFactory } from './registry.ts';
import { RedisStoreBackend } from './store.ts';
import { RedisSyncBackend } from './sync.ts';
import { createSync, lockDefaults } from '../../mesh/sync/locks.ts';
import { createRedisEvents } from './events.ts';
import type { RedisEventsOptions } from './events-options.ts';

declare module '../../mesh/broker/factories.ts' {
  interface BrokerConcernOptions {
    /** Settings of the `redis` broker; a URL's `?channelPrefix=` overrides them. @default {} */
    redis?: RedisBrokerOptions & RedisConnectionOptions;
  }
}

declare module '../../mesh/plugins/concerns.ts' {
  interface StoreConcernOptions {
    /** Settings of the `redis` store; a URL's `?prefix=` overrides them. @default {} */
    redis?: RedisStoreOptions & RedisConnectionOptions;
  }
  interface SyncConcernOptions {
    /** Settings of the `redis` sync; a URL's `?prefix=` overrides them. @default {} */
    redis?: RedisSyncOptions & RedisConnectionOptions;
  }
}

declare module '../../mesh/events/factories.ts' {
  interface EventsConcernOptions {
    /** Settings of the `redis` (Streams) events; a URL's `?prefix=` overrides them. @default {} */
    redis?: RedisEventsOptions & RedisConnectionOptions;
  }
}

/** Where a bare `redis` points. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * The redis plugin. Nodes made by the package's `createNode` have it already.
 * @example
 * const node = await createNode({ store: 'redis://127.0.0.1:6379?prefix=app:store', sync: 'redis://127.0.0.1:6379' });
 */
export function redisPlugin(): Plugin {
  return definePlugin({
    name: 'redis',
    factories: [
      redisRegistryFactory(),
      {
        concern: 'store',
        name: 'redis',
        schemes: ['redis', 'rediss'],
        description: 'string keys with native TTL; redis://host:6379/db?prefix=micro:store',
        create: async (target, ctx) => {
          const url = target.url ?? new URL(DEFAULT_REDIS_URL);
          const settings = { ...ctx.options.redis, ...urlSettings(url, 'store') };
          const lease = await shareRedis(url, ctx, settings);
          return createStore(new RedisStoreBackend(lease, settings), { scope: ctx.options.scope, timeoutMs: ctx.options.timeoutMs });
        },
      },
      {
        concern: 'sync',
        name: 'redis',
        schemes: ['redis', 'rediss'],
        description: 'locks as keys with native TTL, fencing tokens by INCR; redis://host:6379/db?prefix=micro:sync',
        create: async (target, ctx) => {
          const url = target.url ?? new URL(DEFAULT_REDIS_URL);
          const settings = { ...ctx.options.redis, ...urlSettings(url, 'sync') };
          const lease = await shareRedis(url, ctx, settings);
          return createSync(new RedisSyncBackend(lease, settings), { clock: ctx.clock, holder: ctx.nodeId, ...lockDefaults(ctx.options) });
        },
      },
      {
        concern: 'events',
        name: 'redis',
        schemes: ['redis', 'rediss'],
        description: 'Redis Streams and consumer groups, one structured CloudEvent per entry; redis://host:6379/db?prefix=micro:events',
        create: async (target, ctx) => {
          const url = target.url ?? new URL(DEFAULT_REDIS_URL);
          const settings = { ...ctx.options.redis, ...urlSettings(url, 'events') };
          const lease = await shareRedis(url, ctx, settings);
          return createRedisEvents(lease, { clock: ctx.clock, ...settings });
        },
      },
      redisBrokerFactory(),
    ],
  });
}

function urlSettings(url: URL, concern: 'store' | 'sync' | 'events'): RedisStoreOptions & RedisSyncOptions {
  const settings: RedisStoreOptions & RedisSyncOptions = {};
  for (const [key, value] of url.searchParams) {
    if (key === 'prefix' && value !== '') settings.prefix = value;
    else throw new MicroError('BAD_REQUEST', `redis ${concern} URL: bad setting ${key}=${JSON.stringify(value)} (known: prefix)`);
  }
  return settings;
}
