/** The memory store: records in this process only, for tests and caches. */
import { type Clock, systemClock } from '../../actors/clock.ts';
import { MicroError } from '../errors.ts';
import type { BackendQuery, BackendWrite, StoreBackend } from './backend.ts';
import { copyRecord as copy, RecordTable } from './record-table.ts';
import { type CreateStoreOptions, createStore } from './scoped.ts';
import type { Store, StoreRecord, StoreScope } from './store.ts';

/** Wall-clock time with the process's unref'd timers: expiry times are epoch ms. */
export const wallClock: Clock = { ...systemClock, now: () => Date.now() };

export interface MemoryStoreOptions extends CreateStoreOptions {
  /** Reads `now` for TTLs; a simulated clock makes records expire when it is advanced. @default wallClock (Date.now) */
  clock?: Clock;
  /** The longest key, in UTF-8 bytes. @default 1024 */
  maxKeyBytes?: number;
}

/**
 * Creates a store held in memory. Values are copied in and out, so a caller's buffer never changes a record.
 * @example
 * const store = createMemoryStore({ clock: createSimulatedClock() });
 * await store.write({ key: 'a', value: 'hello', ttlMs: 200 });
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const clock = options.clock ?? wallClock;
  return createStore(new MemoryBackend(clock, options.maxKeyBytes ?? 1024), { ...options, clock });
}

class MemoryBackend implements StoreBackend {
  readonly name = 'memory';
  readonly #tables = new Map<string, RecordTable>();
  readonly #clock: Clock;
  readonly maxKeyBytes: number;

  constructor(clock: Clock, maxKeyBytes: number) {
    this.#clock = clock;
    this.maxKeyBytes = maxKeyBytes;
  }

  #closed = false;

  #table(scope: StoreScope): RecordTable {
    if (this.#closed) throw new MicroError('UNAVAILABLE', 'memory store is closed');
    const id = `${scope.database}/${scope.table}`;
    let table = this.#tables.get(id);
    if (table === undefined) this.#tables.set(id, (table = new RecordTable(this.name)));
    return table;
  }

  async get(scope: StoreScope, key: string): Promise<StoreRecord | undefined> {
    const record = this.#table(scope).get(key, this.#clock.now());
    return record === undefined ? undefined : copy(record);
  }

  async query(scope: StoreScope, query: BackendQuery): Promise<StoreRecord[]> {
    return this.#table(scope).query(query, this.#clock.now()).map(copy);
  }

  async keys(scope: StoreScope, query: BackendQuery): Promise<string[]> {
    return this.#table(scope).keys(query, this.#clock.now());
  }

  async put(scope: StoreScope, write: BackendWrite): Promise<StoreRecord> {
    const table = this.#table(scope);
    const record = table.prepare({ ...write, value: write.value.slice() }, this.#clock.now());
    table.set(record);
    return copy(record);
  }

  async remove(scope: StoreScope, key: string): Promise<boolean> {
    return this.#table(scope).delete(key, this.#clock.now());
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#tables.clear();
  }
}
