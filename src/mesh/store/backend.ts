/**
 * What a store back end implements: the same operations as {@link Store}, with the scope passed on every call and
 * inputs already checked. {@link createStore} wraps one in the public, scoped, deadline-bound interface.
 */
import { MicroError } from '../errors.ts';
import type { StoreRecord, StoreScope } from './store.ts';

/** A checked write: the value is bytes, metadata and TTL are settled. */
export interface BackendWrite {
  readonly key: string;
  readonly value: Uint8Array;
  readonly metadata: Readonly<Record<string, string>>;
  readonly ttlMs: number | undefined;
  readonly ifRevision: number | undefined;
}

/** A checked query: prefix and suffix default to '', offset to 0, no limit is undefined. */
export interface BackendQuery {
  readonly prefix: string;
  readonly suffix: string;
  readonly limit: number | undefined;
  readonly offset: number;
}

export interface StoreBackend {
  readonly name: string;
  /** The longest key it takes, in UTF-8 bytes. */
  readonly maxKeyBytes: number;
  /** The record, or undefined when the key is missing or expired. */
  get(scope: StoreScope, key: string): Promise<StoreRecord | undefined>;
  /** The matching records, in key order, after offset and limit. */
  query(scope: StoreScope, query: BackendQuery): Promise<StoreRecord[]>;
  /** The matching keys, in key order, after offset and limit. */
  keys(scope: StoreScope, query: BackendQuery): Promise<string[]>;
  /** Writes and returns the stored record; throws CONFLICT when `ifRevision` does not hold. */
  put(scope: StoreScope, write: BackendWrite): Promise<StoreRecord>;
  /** Deletes; true when the key existed. */
  remove(scope: StoreScope, key: string): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * A record's own copy of bytes (a reply's bytes may be a view into a whole socket read). `Buffer.from` takes a small
 * copy from Node's shared pool; `new Uint8Array(bytes)` would allocate a backing store for each, about 15 times the
 * cost for 100 bytes, and more work for the collector.
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return Buffer.from(bytes);
}

/** The CONFLICT a failed compare-and-set throws, naming the key and both revisions. */
export function revisionConflict(backend: string, key: string, expected: number, actual: number | undefined): MicroError {
  const found = actual === undefined ? 'it does not exist' : `it is at revision ${actual}`;
  return new MicroError('CONFLICT', `${backend} store: write of ${JSON.stringify(key)} expected revision ${expected}, but ${found}`);
}

/** Whether `key` matches a query's prefix and suffix. */
export function matches(key: string, q: Pick<BackendQuery, 'prefix' | 'suffix'>): boolean {
  return key.startsWith(q.prefix) && key.endsWith(q.suffix);
}

/** Sorts keys in code point order (the order every back end returns) and applies offset and limit. */
export function page(keys: string[], q: Pick<BackendQuery, 'limit' | 'offset'>): string[] {
  keys.sort(compareKeys);
  return keys.slice(q.offset, q.limit === undefined ? undefined : q.offset + q.limit);
}

/** Code point order, which is also the byte order of UTF-8 (what PostgreSQL's "C" collation sorts by). */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const ca = [...a];
  const cb = [...b];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const x = (ca[i] as string).codePointAt(0) as number;
    const y = (cb[i] as string).codePointAt(0) as number;
    if (x !== y) return x - y;
  }
  return ca.length - cb.length;
}
