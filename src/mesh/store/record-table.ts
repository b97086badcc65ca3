/**
 * The records of one scope held in memory, with expiry and compare-and-set: the memory store is a set of these, and
 * the file store replays its log into one per scope.
 */
import { type BackendQuery, type BackendWrite, matches, page, revisionConflict } from './backend.ts';
import type { StoreRecord } from './store.ts';

export class RecordTable {
  readonly #records = new Map<string, StoreRecord>();
  readonly #backend: string;

  constructor(backend: string) {
    this.#backend = backend;
  }

  /** The live record, dropping it when it expired by `now`. */
  get(key: string, now: number): StoreRecord | undefined {
    const record = this.#records.get(key);
    if (record === undefined) return undefined;
    if (record.expiresAt !== undefined && record.expiresAt <= now) {
      this.#records.delete(key);
      return undefined;
    }
    return record;
  }

  /** The record a write makes, checked against `ifRevision`; not stored until {@link set}. Throws CONFLICT. */
  prepare(write: BackendWrite, now: number): StoreRecord {
    const current = this.get(write.key, now);
    if (write.ifRevision !== undefined && write.ifRevision !== (current?.revision ?? 0)) {
      throw revisionConflict(this.#backend, write.key, write.ifRevision, current?.revision);
    }
    return {
      key: write.key,
      value: write.value,
      metadata: write.metadata,
      revision: (current?.revision ?? 0) + 1,
      expiresAt: write.ttlMs === undefined ? undefined : now + write.ttlMs,
    };
  }

  set(record: StoreRecord): void {
    this.#records.set(record.key, record);
  }

  delete(key: string, now: number): boolean {
    const existed = this.get(key, now) !== undefined;
    this.#records.delete(key);
    return existed;
  }

  keys(query: BackendQuery, now: number): string[] {
    const found: string[] = [];
    for (const key of [...this.#records.keys()]) {
      if (matches(key, query) && this.get(key, now) !== undefined) found.push(key);
    }
    return page(found, query);
  }

  query(query: BackendQuery, now: number): StoreRecord[] {
    return this.keys(query, now).map((key) => this.#records.get(key) as StoreRecord);
  }

  /** Every live record, for compaction. */
  live(now: number): StoreRecord[] {
    return [...this.#records.keys()].map((key) => this.get(key, now)).filter((r): r is StoreRecord => r !== undefined);
  }

  get size(): number {
    return this.#records.size;
  }
}

/** A record with its own value and metadata, so a caller's changes never reach the table. */
export const copyRecord = (record: StoreRecord): StoreRecord => ({ ...record, value: record.value.slice(), metadata: { ...record.metadata } });
