/**
 * The Redis registry: one key per node of a service version (`<prefix>:r:<name>/<version>/<node>`) holding its
 * record, with a TTL the node refreshes (PEXPIRE every ttlMs/3: one command per node, no fan-out at rest). Changes
 * and goodbyes are published on `<prefix>:events`; a node that dies stops refreshing, its key expires, and Redis
 * reports that on the `expired` key event, which this registry turns on (`notify-keyspace-events Ex`) when it may.
 * Where it may not (a managed Redis without CONFIG), it lists the keys again every ttlMs/2 instead.
 */
import type { Redis } from 'ioredis';
import { type Clock, systemClock } from '../../actors/clock.ts';
import { MicroError } from '../../mesh/errors.ts';
import type { PluginFactory } from '../../mesh/plugins/plugin.ts';
import type { SharedLease } from '../../mesh/plugins/resources.ts';
import { redactUrl } from '../../mesh/plugins/target.ts';
import { type LinkHost, LinkedRegistry, type LinkedRegistryOptions, type LocalRecord, type RegistryLink } from '../../mesh/registry/linked.ts';
import { registryBase, registryUrlSettings } from '../registry-settings.ts';
import { type RedisConnectionOptions, redisError, shareRedis } from './connection.ts';

/** Where a bare `redis` points (the plugin's DEFAULT_REDIS_URL). */
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface RedisRegistryOptions extends LinkedRegistryOptions {
  /** Key and channel prefix; registries with the same prefix (and database) see each other. @default 'micro:registry' */
  prefix?: string;
}

const PREFIX = /^[A-Za-z0-9:._-]{1,200}$/;

class RedisRegistryLink implements RegistryLink {
  readonly name = 'redis';
  readonly #lease: SharedLease<Redis>;
  readonly #keys: string;
  readonly #events: string;
  readonly #resyncMs: number;
  /** The registry's clock: the periodic listing when expired key events cannot be turned on. */
  readonly #clock: Clock;
  #sub: Redis | undefined;
  #expired = '';
  #host!: LinkHost;
  #notified = false;
  #poll: unknown;
  #closed = false;

  constructor(lease: SharedLease<Redis>, options: RedisRegistryOptions) {
    const prefix = options.prefix ?? 'micro:registry';
    if (!PREFIX.test(prefix)) throw new MicroError('BAD_REQUEST', `redis registry: bad prefix ${JSON.stringify(prefix)} (letters, digits, : . _ -)`);
    this.#lease = lease;
    this.#keys = `${prefix}:r:`;
    this.#events = `${prefix}:events`;
    this.#resyncMs = (options.ttlMs ?? 2400) / 2;
    this.#clock = options.clock ?? systemClock;
  }

  get localExpiry(): boolean {
    return false;
  }

  get #redis(): Redis {
    return this.#lease.value;
  }

  async open(host: LinkHost): Promise<void> {
    this.#host = host;
    const redis = this.#redis;
    this.#expired = `__keyevent@${redis.options.db ?? 0}__:expired`;
    const sub = redis.duplicate();
    this.#sub = sub;
    sub.on('error', () => {});
    sub.on('message', (channel: string, message: string) => this.#onMessage(channel, message));
    try {
      await sub.subscribe(this.#events, this.#expired);
      await this.#notifications();
      await this.#resync();
    } catch (err) {
      sub.disconnect();
      throw redisError('redis registry: cannot subscribe', err);
    }
    // Each later ready is a reconnect: the server may have restarted and lost its settings, keys and our events.
    sub.on('ready', () => void this.#reconnected());
  }

  async publish(record: LocalRecord): Promise<void> {
    await this.#redis
      .multi()
      .set(this.#keys + record.key, record.data, 'PX', record.ttlMs)
      .publish(this.#events, JSON.stringify({ r: [[record.key, record.data]] }))
      .exec()
      .catch((err: unknown) => {
        throw redisError('redis registry: cannot register', err);
      });
  }

  async refresh(records: LocalRecord[]): Promise<void> {
    const pipeline = this.#redis.pipeline();
    for (const r of records) pipeline.pexpire(this.#keys + r.key, r.ttlMs);
    const results = (await pipeline.exec()) ?? [];
    const lost = records.filter((_, i) => results[i]?.[1] !== 1);
    // A key gone while we live (the server restarted, or we stalled past the TTL): register it again.
    await Promise.all(lost.map((r) => this.publish(r)));
  }

  async remove(keys: string[]): Promise<void> {
    await this.#redis
      .multi()
      .del(...keys.map((k) => this.#keys + k))
      .publish(this.#events, JSON.stringify({ k: keys }))
      .exec();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#poll !== undefined) this.#clock.clearTimeout(this.#poll);
    this.#sub?.disconnect();
    await this.#lease.release();
  }

  #onMessage(channel: string, message: string): void {
    if (this.#closed) return;
    if (channel === this.#expired) {
      if (message.startsWith(this.#keys)) this.#host.gone(message.slice(this.#keys.length));
      return;
    }
    let body: { r?: unknown; k?: unknown };
    try {
      body = JSON.parse(message) as typeof body;
    } catch (err) {
      this.#host.log.debug({ err }, 'ignoring a registry event that could not be read');
      return;
    }
    if (Array.isArray(body?.r)) for (const p of body.r) if (Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'string') this.#host.put(p[0], p[1]);
    if (Array.isArray(body?.k)) for (const k of body.k) if (typeof k === 'string') this.#host.gone(k);
  }

  /** Turns on `expired` key events (keeping the server's other flags), or falls back to listing keys. */
  async #notifications(): Promise<void> {
    const redis = this.#redis;
    try {
      const [, flags = ''] = (await redis.config('GET', 'notify-keyspace-events')) as string[];
      const on = flags.includes('E') && (flags.includes('x') || flags.includes('A'));
      if (!on) await redis.config('SET', 'notify-keyspace-events', `${flags}${flags.includes('E') ? '' : 'E'}${flags.includes('x') || flags.includes('A') ? '' : 'x'}`);
      this.#notified = true;
    } catch (err) {
      if (!this.#notified) this.#host.log.warn({ err }, 'redis registry: cannot turn on expired key events (CONFIG); listing keys periodically instead');
      if (this.#poll === undefined) this.#listEvery();
    }
  }

  /** Lists every record every `resyncMs`, each listing started on time whether or not the last one finished. */
  #listEvery(): void {
    this.#poll = this.#clock.setTimeout(() => {
      if (this.#closed) return;
      this.#listEvery();
      void this.#resync().catch(() => {});
    }, this.#resyncMs);
  }

  /** Lists every record there is into the cache. */
  async #resync(): Promise<void> {
    const redis = this.#redis;
    const found: Array<[string, string]> = [];
    const mark = this.#host.mark();
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${this.#keys}*`, 'COUNT', 1000);
      cursor = next;
      if (batch.length === 0) continue;
      const values = await redis.mget(...batch);
      batch.forEach((key, i) => {
        const value = values[i];
        if (typeof value === 'string') found.push([key.slice(this.#keys.length), value]);
      });
    } while (cursor !== '0');
    if (!this.#closed) this.#host.snapshot(found, mark);
  }

  async #reconnected(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#notifications();
      const locals = this.#host.locals();
      await Promise.all(locals.map((r) => this.publish(r)));
      await this.#resync();
    } catch (err) {
      this.#host.log.warn({ err }, 'redis registry: resync after reconnect failed');
    }
  }
}

/**
 * A registry on the Redis connection of `lease` (plus one subscriber connection of its own); closing it releases
 * the lease.
 * @example
 * const registry = createRedisRegistry(await shareRedis(url, ctx, {}), { prefix: 'micro:registry' });
 */
export function createRedisRegistry(lease: SharedLease<Redis>, options: RedisRegistryOptions = {}): LinkedRegistry {
  return new LinkedRegistry(new RedisRegistryLink(lease, options), options);
}

declare module '../../mesh/plugins/concerns.ts' {
  interface RegistryConcernOptions {
    /** Settings of the `redis` registry; a URL's `?prefix=&ttlMs=` override them. @default {} */
    redis?: RedisRegistryOptions & RedisConnectionOptions;
  }
}

/** The `redis` registry factory, for the redis plugin. */
export function redisRegistryFactory(): PluginFactory<'registry'> {
  return {
    concern: 'registry',
    name: 'redis',
    schemes: ['redis', 'rediss'],
    description: 'keys with a refreshed TTL, expired key events and pub/sub; redis://host:6379/db?prefix=micro:registry&ttlMs=2400',
    create: async (target, ctx) => {
      const url = target.url ?? new URL(DEFAULT_REDIS_URL);
      const settings = { ...registryBase(ctx), ...ctx.options.redis, ...registryUrlSettings('redis', url) };
      const base = new URL(url.href);
      base.search = '';
      const registry = createRedisRegistry(await shareRedis(base, ctx, settings), settings);
      await registry.ready().catch(async (err: unknown) => {
        await registry.close();
        throw redisError(`redis registry: cannot start on ${redactUrl(base.href)}`, err);
      });
      return registry;
    },
  };
}
