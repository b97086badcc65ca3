/**
 * The NATS KV store: a JetStream key-value bucket per scope (`<prefix>_<len>_<database>_<table>`, prefix
 * `micro-store`), one KV key per record (base64url of the record's key). A KV entry's value is a msgpack envelope
 * `{ v: bytes, m: metadata, r: revision, e: expiry ms or 0 }`: JetStream's own revision counts every write to the
 * bucket, so the record's per-key revision is kept in the envelope, and every write is a compare-and-set on the
 * entry's stream revision. TTLs are per record and enforced on read (nats-server < 2.11 has no per-key TTL).
 * A value larger than the server's max payload is written first as chunks under `<key>.<write id>.<n>` keys (a dot
 * never appears in a base64url key), then the envelope names the chunks (`c`, `w`): a reader sees the old value or the
 * new one, never a mix, and the chunks of a value overwritten or deleted are removed after.
 */
import type { KV, KvEntry, NatsConnection } from 'nats';
import { randomBytes } from 'node:crypto';
import { pack, unpack } from 'msgpackr';
import { MicroError } from '../../mesh/errors.ts';
import type { SharedLease } from '../../mesh/plugins/resources.ts';
import { type BackendQuery, type BackendWrite, copyBytes, matches, page, revisionConflict, type StoreBackend } from '../../mesh/store/backend.ts';
import type { StoreRecord, StoreScope } from '../../mesh/store/store.ts';
import { decodeKvKey, encodeKvKey, isCasConflict, KvBuckets, live, scopeBucket } from './kv.ts';
import type { NatsStoreOptions } from './options.ts';
import { liveRevision, type SeenEntry, SeenEntries } from './seen.ts';

export type { NatsStoreOptions };


export function defaultNatsStoreOptions() {
  return { prefix: 'micro-store', maxKeyBytes: 1024 };
}

interface Envelope {
  v: Uint8Array;
  m: Record<string, string>;
  r: number;
  e: number;
  /** Chunks of a large value (then `v` is empty), under `<key>.<w>.<n>`. */
  c?: number;
  w?: string;
}

/** Room left in a message for the envelope and headers. */
const ENVELOPE_ROOM = 8 * 1024;

/** How often an unconditional write retries a compare-and-set it lost to a concurrent writer. */
const WRITE_ATTEMPTS = 64;

const EMPTY = new Uint8Array(0);

/** The KV keys of a large value's chunks. */
const chunkKeys = (key: string, env: Pick<Envelope, 'c' | 'w'>): string[] =>
  Array.from({ length: env.c ?? 0 }, (_, i) => `${encodeKvKey(key)}.${env.w}.${i}`);

export class NatsStoreBackend implements StoreBackend {
  readonly name = 'nats';
  readonly maxKeyBytes: number;
  readonly #buckets: KvBuckets;
  readonly #lease: SharedLease<NatsConnection>;
  readonly #prefix: string;
  readonly #seen = new SeenEntries();

  constructor(lease: SharedLease<NatsConnection>, options: NatsStoreOptions = {}) {
    const d = defaultNatsStoreOptions();
    this.#buckets = new KvBuckets(lease, 'nats store');
    this.#lease = lease;
    this.#prefix = options.prefix ?? d.prefix;
    this.maxKeyBytes = options.maxKeyBytes ?? d.maxKeyBytes;
  }

  #name(scope: StoreScope): string {
    return scopeBucket(this.#prefix, scope.database, scope.table);
  }

  #bucket(scope: StoreScope): Promise<KV> {
    return this.#buckets.bucket(this.#name(scope));
  }

  /** The scope's bucket, without waiting for a promise once it is open. */
  #kv(bucket: string): KV | Promise<KV> {
    return this.#buckets.opened(bucket) ?? this.#buckets.bucket(bucket);
  }

  /** The entry and its record, or the entry alone when it holds nothing live (deleted or expired). */
  async #read(kv: KV, bucket: string, key: string): Promise<{ entry: KvEntry | null; env: Envelope | undefined; record: StoreRecord | undefined; seen: SeenEntry }> {
    let entry: KvEntry | null;
    try {
      entry = await kv.get(encodeKvKey(key));
    } catch (err) {
      throw this.#buckets.failed(err);
    }
    const held = live(entry);
    if (held === undefined) {
      const seen = { seq: entry?.revision ?? 0, r: 0, e: 0 };
      this.#seen.set(bucket, key, seen);
      return { entry, env: undefined, record: undefined, seen };
    }
    const env = unpack(held.value) as Envelope;
    const seen = { seq: held.revision, r: env.r, e: env.e, c: env.c, w: env.w };
    this.#seen.set(bucket, key, seen);
    if (env.e !== 0 && env.e <= Date.now()) return { entry, env, record: undefined, seen };
    const value = env.c === undefined ? copyBytes(env.v) : await this.#joinChunks(kv, key, env);
    return { entry, env, record: { key, value, metadata: env.m, revision: env.r, expiresAt: env.e === 0 ? undefined : env.e }, seen };
  }

  async #joinChunks(kv: KV, key: string, env: Envelope): Promise<Uint8Array> {
    const parts = await Promise.all(chunkKeys(key, env).map((k) => this.#buckets.run(() => kv.get(k))));
    const bytes = parts.map((p) => {
      if (live(p) === undefined) throw new MicroError('INTERNAL', `nats store: a chunk of ${JSON.stringify(key)} is missing`);
      return (p as KvEntry).value;
    });
    return Buffer.concat(bytes);
  }

  /** The largest value an envelope holds itself. */
  #chunkBytes(): number {
    return Math.max(1024, this.#lease.value.info?.max_payload ?? 1024 * 1024) - ENVELOPE_ROOM;
  }

  /** Writes a value larger than {@link #chunkBytes} as chunks; returns the envelope fields naming them. */
  async #writeChunks(kv: KV, key: string, value: Uint8Array): Promise<Pick<Envelope, 'c' | 'w'>> {
    const size = this.#chunkBytes();
    const chunks = { c: Math.ceil(value.byteLength / size), w: randomBytes(6).toString('hex') };
    await Promise.all(chunkKeys(key, chunks).map((k, i) => this.#buckets.run(() => kv.put(k, value.subarray(i * size, (i + 1) * size)))));
    return chunks;
  }

  /** Removes the chunks of a value no envelope names any more (best effort: a leftover costs space, not correctness). */
  async #dropChunks(kv: KV, key: string, env: Pick<Envelope, 'c' | 'w'> | undefined): Promise<void> {
    if (env?.c === undefined) return;
    await Promise.all(chunkKeys(key, env).map((k) => kv.purge(k).catch(() => {})));
  }

  async get(scope: StoreScope, key: string): Promise<StoreRecord | undefined> {
    const bucket = this.#name(scope);
    const kv = this.#kv(bucket);
    return (await this.#read(kv instanceof Promise ? await kv : kv, bucket, key)).record;
  }

  async query(scope: StoreScope, q: BackendQuery): Promise<StoreRecord[]> {
    const records = await this.#matching(await this.#bucket(scope), this.#name(scope), q);
    return page([...records.keys()], q).map((key) => records.get(key) as StoreRecord);
  }

  async keys(scope: StoreScope, q: BackendQuery): Promise<string[]> {
    return page([...(await this.#matching(await this.#bucket(scope), this.#name(scope), q)).keys()], q);
  }

  /** The live records whose keys match the query, by key. */
  async #matching(kv: KV, bucket: string, q: BackendQuery): Promise<Map<string, StoreRecord>> {
    const keys = await this.#buckets.run(async () => {
      const found: string[] = [];
      for await (const encoded of await kv.keys()) {
        if (encoded.includes('.')) continue; // a chunk of a large value
        const key = decodeKvKey(encoded);
        if (matches(key, q)) found.push(key);
      }
      return found;
    });
    const records = await Promise.all(keys.map(async (key) => (await this.#read(kv, bucket, key)).record));
    return new Map(records.filter((r): r is StoreRecord => r !== undefined).map((r) => [r.key, r]));
  }

  async put(scope: StoreScope, w: BackendWrite): Promise<StoreRecord> {
    const bucket = this.#name(scope);
    const opened = this.#kv(bucket);
    const kv = opened instanceof Promise ? await opened : opened;
    // The entry last seen saves reading it first; a stale one loses the compare-and-set and is read again.
    let seen: SeenEntry | undefined = this.#seen.get(bucket, w.key);
    let fresh = false;
    for (let attempt = 0; ; attempt++) {
      if (seen === undefined) {
        seen = (await this.#read(kv, bucket, w.key)).seen;
        fresh = true;
      }
      const current = liveRevision(seen, Date.now());
      if (w.ifRevision !== undefined && current !== w.ifRevision) {
        if (fresh) throw revisionConflict(this.name, w.key, w.ifRevision, current === 0 ? undefined : current);
        seen = undefined;
        continue;
      }
      const revision = current + 1;
      const expiresAt = w.ttlMs === undefined ? 0 : Date.now() + w.ttlMs;
      const chunks = w.value.byteLength <= this.#chunkBytes() ? undefined : await this.#writeChunks(kv, w.key, w.value);
      const env: Envelope = { v: chunks === undefined ? w.value : EMPTY, m: w.metadata, r: revision, e: expiresAt, ...chunks };
      try {
        const seq = await kv.put(encodeKvKey(w.key), pack(env), { previousSeq: seen.seq });
        this.#seen.set(bucket, w.key, { seq, r: revision, e: expiresAt, c: env.c, w: env.w });
        if (seen.c !== undefined) await this.#dropChunks(kv, w.key, seen);
        return { key: w.key, value: copyBytes(w.value), metadata: w.metadata, revision, expiresAt: expiresAt === 0 ? undefined : expiresAt };
      } catch (err) {
        await this.#dropChunks(kv, w.key, chunks === undefined ? undefined : env);
        if (!isCasConflict(err) || attempt >= WRITE_ATTEMPTS) throw this.#buckets.failed(err);
        // Another writer got in between: read again; a compare-and-set then reports the conflict, a plain write retries.
        this.#seen.forget(bucket, w.key);
        seen = undefined;
      }
    }
  }

  async remove(scope: StoreScope, key: string): Promise<boolean> {
    const kv = await this.#bucket(scope);
    const { entry, env, record } = await this.#read(kv, this.#name(scope), key);
    if (entry === null || live(entry) === undefined) return false;
    this.#seen.forget(this.#name(scope), key);
    await this.#buckets.run(() => kv.delete(encodeKvKey(key)));
    await this.#dropChunks(kv, key, env);
    return record !== undefined;
  }

  close(): Promise<void> {
    return this.#buckets.close();
  }
}
