/**
 * The Redis store. A record is two string keys, so that other programs read values with a plain GET:
 *
 *   <prefix>:<database>:<table>:<key>       the value's bytes
 *   <prefix>-meta:<database>:<table>:<key>  `<revision> <expiresAt> <metadata JSON>`, e.g. `3 0 {"by":"ada"}`
 *
 * (prefix `micro:store` by default). expiresAt is epoch ms by Redis's clock (`TIME`), 0 for never; both keys expire
 * at that same instant natively (`PXAT`). A read is one MGET (atomic, no script); writes and compare-and-set run as
 * one Lua script, which also makes the revision; prefix reads SCAN the scope's key space. A value key another
 * program SET without a meta key is a record at revision 0, its expiry its PTTL.
 */
import type { Redis } from 'ioredis';
import type { SharedLease } from '../../mesh/plugins/resources.ts';
import { type BackendQuery, type BackendWrite, copyBytes, page, revisionConflict, type StoreBackend } from '../../mesh/store/backend.ts';
import type { StoreRecord, StoreScope } from '../../mesh/store/store.ts';
import { batchWrites } from './batch.ts';
import { redisError } from './connection.ts';
import { type RedisScript, redisScript, runScript } from './scripts.ts';
import type { RedisStoreOptions } from './options.ts';

export type { RedisStoreOptions };


export function defaultRedisStoreOptions() {
  return { prefix: 'micro:store', maxKeyBytes: 1024 };
}

// KEYS: data, meta. ARGV: value, metadata JSON, then for a TTL or a compare-and-set: ttl ms or '', expected revision
// or ''. Returns the revision (no TTL), { revision, expiresAt } (a TTL) or { -1, current revision or -1 } on a
// conflict. A meta key that is not a string (an older layout) counts as none and is replaced.
const WRITE = redisScript(`
local exists = redis.call('EXISTS', KEYS[1]) == 1
local rev = 0
if exists then
  local meta = redis.pcall('GET', KEYS[2])
  if type(meta) == 'string' then rev = tonumber(string.match(meta, '^%d+')) or 0 end
end
if ARGV[4] and ARGV[4] ~= '' then
  local want = tonumber(ARGV[4])
  if (want == 0 and exists) or (want > 0 and ((not exists) or rev ~= want)) then
    if exists then return {-1, rev} end
    return {-1, -1}
  end
end
rev = rev + 1
if not ARGV[3] or ARGV[3] == '' then
  redis.call('MSET', KEYS[1], ARGV[1], KEYS[2], rev .. ' 0 ' .. ARGV[2])
  return rev
end
local now = redis.call('TIME')
local at = string.format('%d', tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + tonumber(ARGV[3]))
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', at)
redis.call('SET', KEYS[2], rev .. ' ' .. at .. ' ' .. ARGV[2], 'PXAT', at)
return {rev, tonumber(at)}`);

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

  get(scope: StoreScope, key: string): Promise<StoreRecord | undefined> {
    const [data, meta] = this.#keys(scope, key);
    const redis = this.#lease.value;
    batchWrites(redis);
    return redis.mgetBuffer(data, meta).then(
      ([value, about]) => {
        if (value === null || value === undefined) return undefined;
        if (about === null || about === undefined) return this.#plain(key, data, value);
        return fromMeta(key, value, about.toString('utf8'));
      },
      failed,
    );
  }

  /** A value with no meta key (another program SET it): revision 0, no metadata, the expiry of its PTTL. */
  async #plain(key: string, data: string, value: Buffer): Promise<StoreRecord | undefined> {
    let pttl: number;
    try {
      pttl = await this.#lease.value.pttl(data);
    } catch (err) {
      throw redisError('redis store', err);
    }
    if (pttl === -2) return undefined; // expired or deleted since
    return { key, value: copyBytes(value), revision: 0, metadata: {}, expiresAt: pttl >= 0 ? Date.now() + pttl : undefined };
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

  put(scope: StoreScope, w: BackendWrite): Promise<StoreRecord> {
    const redis = this.#lease.value;
    const args: Array<string | Buffer> = [Buffer.from(w.value.buffer, w.value.byteOffset, w.value.byteLength), JSON.stringify(w.metadata)];
    if (w.ttlMs !== undefined || w.ifRevision !== undefined) args.push(w.ttlMs === undefined ? '' : String(w.ttlMs), w.ifRevision === undefined ? '' : String(w.ifRevision));
    batchWrites(redis);
    return runScript(redis, WRITE, this.#keys(scope, w.key), args).then(
      (reply) => {
        if (typeof reply === 'number') return { key: w.key, value: copyBytes(w.value), metadata: w.metadata, revision: reply, expiresAt: undefined };
        const [revision, atOrCurrent] = reply as [number, number];
        if (revision === -1) throw revisionConflict(this.name, w.key, w.ifRevision ?? 0, atOrCurrent === -1 ? undefined : atOrCurrent);
        return { key: w.key, value: copyBytes(w.value), metadata: w.metadata, revision, expiresAt: atOrCurrent };
      },
      failed,
    );
  }

  async remove(scope: StoreScope, key: string): Promise<boolean> {
    return (await this.#eval(DELETE, this.#keys(scope, key))) === 1;
  }

  close(): Promise<void> {
    return this.#lease.release();
  }
}

function failed(err: unknown): never {
  throw redisError('redis store', err);
}

/** A record from its value and its meta key's text, `<revision> <expiresAt> <metadata JSON>`. */
function fromMeta(key: string, value: Buffer, meta: string): StoreRecord {
  const a = meta.indexOf(' ');
  const b = meta.indexOf(' ', a + 1);
  const at = Number(meta.slice(a + 1, b));
  const md = meta.slice(b + 1);
  return { key, value: copyBytes(value), revision: Number(meta.slice(0, a)), metadata: md === '{}' ? {} : JSON.parse(md), expiresAt: at === 0 ? undefined : at };
}

/** `*`, `?`, `[`, `]` and `\` are literal in a SCAN pattern. */
const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');

