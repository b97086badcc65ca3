/**
 * The Redis store. A record is two keys, so that other programs read values with a plain GET:
 *
 *   <prefix>:<database>:<table>:<key>       a string: the value's bytes
 *   <prefix>-meta:<database>:<table>:<key>  a hash: rev (the revision), md (the metadata as JSON)
 *
 * (prefix `micro:store` by default). Both carry the record's TTL natively (PX). Writes and compare-and-set run as
 * one Lua script; prefix reads SCAN the scope's key space.
 */
import type { Redis } from 'ioredis';
import type { SharedLease } from '../../mesh/plugins/resources.ts';
import { type BackendQuery, type BackendWrite, page, revisionConflict, type StoreBackend } from '../../mesh/store/backend.ts';
import type { StoreRecord, StoreScope } from '../../mesh/store/store.ts';
import { batchWrites } from './batch.ts';
import { redisError } from './connection.ts';
import { type RedisScript, redisScript, runScript } from './scripts.ts';
import type { RedisStoreOptions } from './options.ts';

export type { RedisStoreOptions };


export function defaultRedisStoreOptions() {
  return { prefix: 'micro:store', maxKeyBytes: 1024 };
}

// KEYS: data, meta. ARGV: value, metadata JSON, ttl ms or '', expected revision or ''. Returns { revision, pttl } or
// { -1, current revision or -1 } on a conflict.
const WRITE = redisScript(`
local exists = redis.call('EXISTS', KEYS[1]) == 1
local rev = 0
if exists then rev = tonumber(redis.call('HGET', KEYS[2], 'rev') or '0') end
if ARGV[4] ~= '' then
  local want = tonumber(ARGV[4])
  if (want == 0 and exists) or (want > 0 and ((not exists) or rev ~= want)) then
    if exists then return {-1, rev} end
    return {-1, -1}
  end
end
rev = rev + 1
redis.call('HSET', KEYS[2], 'rev', rev, 'md', ARGV[2])
if ARGV[3] ~= '' then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  return {rev, tonumber(ARGV[3])}
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PERSIST', KEYS[2])
return {rev, -1}`);

const READ = redisScript(`
local v = redis.call('GET', KEYS[1])
if not v then return false end
local m = redis.call('HMGET', KEYS[2], 'rev', 'md')
return {v, m[1] or '0', m[2] or '{}', redis.call('PTTL', KEYS[1])}`);

const DELETE = redisScript(`
local n = redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[2])
return n`);

export class RedisStoreBackend implements StoreBackend {
  readonly name = 'redis';
  readonly maxKeyBytes: number;
  readonly #lease: SharedLease<Redis>;
  readonly #prefix: string;

  constructor(lease: SharedLease<Redis>, options: RedisStoreOptions = {}) {
    const d = defaultRedisStoreOptions();
    this.#lease = lease;
    this.#prefix = options.prefix ?? d.prefix;
    this.maxKeyBytes = options.maxKeyBytes ?? d.maxKeyBytes;
  }

  #keys(scope: StoreScope, key: string): [string, string] {
    const where = `${scope.database}:${scope.table}:${key}`;
    return [`${this.#prefix}:${where}`, `${this.#prefix}-meta:${where}`];
  }

  async #eval(script: RedisScript, keys: [string, string], ...args: Array<string | Buffer>): Promise<unknown> {
    try {
      batchWrites(this.#lease.value);
      return await runScript(this.#lease.value, script, keys, args);
    } catch (err) {
      throw redisError('redis store', err);
    }
  }

  async get(scope: StoreScope, key: string): Promise<StoreRecord | undefined> {
    const reply = (await this.#eval(READ, this.#keys(scope, key))) as [Buffer, Buffer, Buffer, number] | null;
    if (reply === null) return undefined;
    const [value, rev, md, pttl] = reply;
    return { key, value: new Uint8Array(value), revision: Number(rev.toString()), metadata: JSON.parse(md.toString('utf8')), expiresAt: expiresAt(pttl) };
  }

  async query(scope: StoreScope, q: BackendQuery): Promise<StoreRecord[]> {
    const records = await Promise.all((await this.keys(scope, q)).map((key) => this.get(scope, key)));
    return records.filter((r): r is StoreRecord => r !== undefined);
  }

  async keys(scope: StoreScope, q: BackendQuery): Promise<string[]> {
    const [base] = this.#keys(scope, '');
    const match = `${escapeGlob(base)}${escapeGlob(q.prefix)}*`;
    const found = new Set<string>();
    try {
      let cursor = '0';
      do {
        const [next, batch] = await this.#lease.value.scan(cursor, 'MATCH', match, 'COUNT', 1000);
        for (const k of batch) found.add(k.slice(base.length));
        cursor = next;
      } while (cursor !== '0');
    } catch (err) {
      throw redisError('redis store', err);
    }
    // The suffix is checked here, not in the pattern: a prefix and suffix may overlap ('ab' has both 'ab' and 'b').
    return page([...found].filter((k) => k.endsWith(q.suffix)), q);
  }

  async put(scope: StoreScope, w: BackendWrite): Promise<StoreRecord> {
    const value = Buffer.from(w.value.buffer, w.value.byteOffset, w.value.byteLength);
    const args = [value, JSON.stringify(w.metadata), w.ttlMs === undefined ? '' : String(w.ttlMs), w.ifRevision === undefined ? '' : String(w.ifRevision)];
    const [revision, pttlOrCurrent] = (await this.#eval(WRITE, this.#keys(scope, w.key), ...args)) as [number, number];
    if (revision === -1) throw revisionConflict(this.name, w.key, w.ifRevision ?? 0, pttlOrCurrent === -1 ? undefined : pttlOrCurrent);
    return { key: w.key, value: new Uint8Array(w.value), metadata: w.metadata, revision, expiresAt: expiresAt(pttlOrCurrent) };
  }

  async remove(scope: StoreScope, key: string): Promise<boolean> {
    return (await this.#eval(DELETE, this.#keys(scope, key))) === 1;
  }

  close(): Promise<void> {
    return this.#lease.release();
  }
}

const expiresAt = (pttl: number): number | undefined => (pttl >= 0 ? Date.now() + pttl : undefined);

/** `*`, `?`, `[`, `]` and `\` are literal in a SCAN pattern. */
const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');

