/**
 * The store concern: keys to records of bytes, scoped by database and table (go-micro's `store.Store`). A record's
 * value is always bytes; strings are written as UTF-8 and {@link jsonBytes} / {@link readJson} carry JSON values.
 */

/** Which database and table a store reads and writes: letters, digits, `_` and `-`, at most 64 characters each. */
export interface StoreScope {
  readonly database: string;
  readonly table: string;
}

/**
 * Where a node's store reads and writes unless told otherwise: go-micro's defaults, database `micro` and table
 * `micro`. Every node on one back end sees the same records; use `node.store.scope({ table: 'orders' })` per service.
 */
export const DEFAULT_STORE_SCOPE: StoreScope = Object.freeze({ database: 'micro', table: 'micro' });

/** A record as stored. */
export interface StoreRecord {
  readonly key: string;
  /** The bytes written, as they were written (a string is stored as its UTF-8 bytes). */
  readonly value: Uint8Array;
  readonly metadata: Readonly<Record<string, string>>;
  /** 1 on the first write of a key, one more on every write after; the key of compare-and-set. */
  readonly revision: number;
  /** When the record expires, in ms since the epoch by the back end's clock; undefined when it never does. */
  readonly expiresAt: number | undefined;
}

/** A record to write. */
export interface StoreWrite {
  readonly key: string;
  /** Bytes, or a string written as UTF-8. Use {@link jsonBytes} for a JSON value. */
  readonly value: Uint8Array | string;
  /** @default {} */
  readonly metadata?: Readonly<Record<string, string>>;
  /** The record disappears this long after the write. @default undefined (never) */
  readonly ttlMs?: number;
}

/**
 * Every call takes a deadline: a back end that does not answer in time fails with UNAVAILABLE (503). A write that
 * timed out may still land; compare-and-set (`ifRevision`) makes a retry safe.
 */
export interface StoreCallOptions {
  /** @default the store's `timeoutMs` (5000) */
  readonly timeoutMs?: number;
}

export interface StoreWriteOptions extends StoreCallOptions {
  /**
   * Compare-and-set: write only if the record's revision is this one (0: only if the key does not exist); otherwise
   * fail with CONFLICT (409) and write nothing. @default undefined (always write)
   */
  readonly ifRevision?: number;
  /**
   * Fencing: write only if no write to this key carried a greater token (a lock's `lease.token`), else fail with
   * CONFLICT (409) naming both tokens. The record keeps the highest token in metadata `micro-fence`, so a holder
   * that lost its lock while paused cannot overwrite what the next holder wrote. @default undefined (no check)
   */
  readonly fencingToken?: number;
}

/** A range of keys, in key order (code point order of the key). */
export interface StoreQuery extends StoreCallOptions {
  /** Keys starting with this. @default '' (all) */
  readonly prefix?: string;
  /** Keys ending with this. @default '' (all) */
  readonly suffix?: string;
  /** At most this many. @default undefined (no limit) */
  readonly limit?: number;
  /** Skip this many matching keys first. @default 0 */
  readonly offset?: number;
}

/** A store bound to one scope. Every failure is a MicroError. */
export interface Store {
  /** The back end's name: `memory`, `file`, `postgres`, `redis`. */
  readonly name: string;
  /** The database this store reads and writes. */
  readonly database: string;
  /** The table this store reads and writes. */
  readonly table: string;
  /** One record; NOT_FOUND (404) when the key is missing or expired. */
  read(key: string, options?: StoreCallOptions): Promise<StoreRecord>;
  /** The records whose keys match, in key order; an empty array when none do. */
  read(query: StoreQuery): Promise<StoreRecord[]>;
  /** Writes a record and returns it as stored (with its revision). Acknowledged only once durable on the back end. */
  write(record: StoreWrite, options?: StoreWriteOptions): Promise<StoreRecord>;
  /** Deletes a key; resolves true when it existed. */
  delete(key: string, options?: StoreCallOptions): Promise<boolean>;
  /** The keys that match, in key order. */
  list(query?: StoreQuery): Promise<string[]>;
  /** The same back end in another scope; fields not given keep this store's. Closing it closes nothing. */
  scope(scope: Partial<StoreScope>): Store;
  /** Releases the back end (connections, files). Only the store a factory made closes it. */
  close(): Promise<void>;
}

/** The metadata key where a fenced write keeps the highest fencing token written to the record. */
export const FENCE_METADATA = 'micro-fence';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** A value's bytes: a string as UTF-8, bytes as they are. */
export function toBytes(value: Uint8Array | string): Uint8Array {
  return typeof value === 'string' ? encoder.encode(value) : value;
}

/** A JSON value as the bytes to store. @example await store.write({ key: 'cfg', value: jsonBytes({ a: 1 }) }) */
export function jsonBytes(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** A record's value as text; throws on bytes that are not UTF-8. */
export function readText(record: Pick<StoreRecord, 'value'>): string {
  return decoder.decode(record.value);
}

/** A record's value as JSON. @example const cfg = readJson<{ a: number }>(await store.read('cfg')); */
export function readJson<T = unknown>(record: Pick<StoreRecord, 'value'>): T {
  return JSON.parse(readText(record)) as T;
}
