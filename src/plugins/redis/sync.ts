/**
 * The Redis sync. A held lock is one string key whose value is its fencing token, with a native TTL:
 *
 *   <prefix>:<id>          the holder's token, `SET … NX PX <ttl>` (absent when free)
 *   <prefix>-token:<id>    the last token given (INCR), kept so that tokens keep growing after a release
 *
 * (prefix `micro:sync` by default). Acquire mints the token and sets the key in one Lua script; renew and release
 * are Lua scripts that act only while the key still holds our token, so a stale holder never frees a new one's lock.
 * Single-instance Redis: a failover that loses the key can hand the lock out twice (the fencing token still grows
 * if the counter survived); use PostgreSQL where that matters.
 */
import type { Redis } from 'ioredis';
import type { SharedLease } from '../../mesh/plugins/resources.ts';
import type { SyncBackend } from '../../mesh/sync/backend.ts';
import { redisError } from './connection.ts';
import { type RedisScript, redisScript, runScript } from './scripts.ts';
import type { RedisSyncOptions } from './options.ts';

export type { RedisSyncOptions };


export function defaultRedisSyncOptions() {
  return { prefix: 'micro:sync' };
}

// KEYS: lock, counter. ARGV: ttl ms. Returns the new token, or 0 when the lock is held.
const ACQUIRE = redisScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[1])
return token`);

// KEYS: lock. ARGV: token, ttl ms. Returns 1 when renewed.
const RENEW = redisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`);

// KEYS: lock. ARGV: token. Returns 1 when released.
const RELEASE = redisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

export class RedisSyncBackend implements SyncBackend {
  readonly name = 'redis';
  readonly #lease: SharedLease<Redis>;
  readonly #prefix: string;

  constructor(lease: SharedLease<Redis>, options: RedisSyncOptions = {}) {
    this.#lease = lease;
    this.#prefix = options.prefix ?? defaultRedisSyncOptions().prefix;
  }

  async #eval(script: RedisScript, keys: string[], ...args: string[]): Promise<number> {
    try {
      return Number(await runScript(this.#lease.value, script, keys, args));
    } catch (err) {
      throw redisError('redis sync', err);
    }
  }

  async acquire(id: string, _holder: string, ttlMs: number): Promise<number | undefined> {
    const token = await this.#eval(ACQUIRE, [`${this.#prefix}:${id}`, `${this.#prefix}-token:${id}`], String(ttlMs));
    return token === 0 ? undefined : token;
  }

  async renew(id: string, token: number, ttlMs: number): Promise<boolean> {
    return (await this.#eval(RENEW, [`${this.#prefix}:${id}`], String(token), String(ttlMs))) === 1;
  }

  async release(id: string, token: number): Promise<boolean> {
    return (await this.#eval(RELEASE, [`${this.#prefix}:${id}`], String(token))) === 1;
  }

  close(): Promise<void> {
    return this.#lease.release();
  }
}
