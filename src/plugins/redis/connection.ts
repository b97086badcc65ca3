/**
 * One Redis connection per URL for the whole node, shared by every concern Redis backs. `ioredis` is imported when
 * the first connection opens. Commands fail fast while Redis is down (one reconnect attempt per command) instead of
 * queueing without bound.
 */
import type { Redis } from 'ioredis';
import { MicroError } from '../../mesh/errors.ts';
import { importOptional } from '../../mesh/plugins/import-optional.ts';
import type { PluginContext } from '../../mesh/plugins/plugin.ts';
import type { SharedLease } from '../../mesh/plugins/resources.ts';
import { redactUrl } from '../../mesh/plugins/target.ts';
import type { RedisConnectionOptions } from './options.ts';

export type { RedisConnectionOptions };

/** Connections this module closed itself, so that their end is not taken for a failure. */
const closedByUs = new WeakSet<Redis>();

/**
 * The node's connection to `url` (`redis://[user:password@]host:port/db`), connecting on first command.
 * @example
 * const lease = await shareRedis(target.url, ctx, {});
 * await lease.value.get('key');
 */
export function shareRedis(url: URL, ctx: PluginContext, options: RedisConnectionOptions): Promise<SharedLease<Redis>> {
  const base = new URL(url.href);
  base.search = '';
  return ctx.shared(
    `redis ${base.href}`,
    async (owner) => {
      const mod = await importOptional<typeof import('ioredis')>('ioredis', { plugin: 'redis', concern: ctx.concern });
      const RedisClient = mod.Redis ?? mod.default;
      const redis = new RedisClient(base.href, {
        lazyConnect: true,
        maxRetriesPerRequest: 1,
        connectTimeout: options.connectTimeoutMs ?? 5000,
        retryStrategy: (times: number) => Math.min(times * 200, 2000),
      });
      let lastLog = 0;
      // Without a listener a connection error would crash the process; log it at most every 10 s.
      redis.on('error', (err: Error) => {
        if (Date.now() - lastLog < 10_000) return;
        lastLog = Date.now();
        ctx.logger.warn({ err: err.message, url: redactUrl(base.href) }, 'redis: connection error');
      });
      // The client gave up reconnecting without us closing it: the owning actor opens a new connection.
      redis.once('end', () => {
        if (!closedByUs.has(redis)) owner.fail(new MicroError('UNAVAILABLE', `redis: connection to ${redactUrl(base.href)} ended`));
      });
      return redis;
    },
    async (redis) => {
      closedByUs.add(redis);
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    },
  );
}

/** A client error as a MicroError: a Redis error reply is INTERNAL; anything else (connection) UNAVAILABLE. */
export function redisError(what: string, err: unknown): MicroError {
  if (err instanceof MicroError) return err;
  const reply = err instanceof Error && err.name === 'ReplyError';
  return new MicroError(reply ? 'INTERNAL' : 'UNAVAILABLE', `${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
