/** The public store: a back end bound to one scope, with every input checked and every call under a deadline. */
import { type Clock, systemClock } from '../../actors/clock.ts';
import { MicroError } from '../errors.ts';
import type { BackendQuery, BackendWrite, StoreBackend } from './backend.ts';
import { type DeadlineErrors, Deadlines } from './deadlines.ts';
import {
  DEFAULT_STORE_SCOPE,
  FENCE_METADATA,
  type Store,
  type StoreCallOptions,
  type StoreQuery,
  type StoreRecord,
  type StoreScope,
  type StoreWrite,
  type StoreWriteOptions,
  toBytes,
} from './store.ts';

export interface CreateStoreOptions {
  /** The scope of the store returned; `store.scope()` gives others. @default DEFAULT_STORE_SCOPE (micro/micro) */
  scope?: Partial<StoreScope>;
  /** Each call's deadline: past it the call fails with UNAVAILABLE (503). @default 5000 */
  timeoutMs?: number;
  /** Runs the deadline timers. @default systemClock */
  clock?: Clock;
}

export function defaultCreateStoreOptions(): Required<CreateStoreOptions> {
  return { scope: DEFAULT_STORE_SCOPE, timeoutMs: 5000, clock: systemClock };
}

/**
 * Wraps a back end as a {@link Store}. Back ends' factories (`createMemoryStore`, `createFileStore`, the postgres and
 * redis plugins) call it; closing the store returned closes the back end, closing a `scope()` of it does nothing.
 * @example
 * const store = createStore(backend, { scope: { table: 'orders' } });
 */
export function createStore(backend: StoreBackend, options: CreateStoreOptions = {}): Store {
  const d = defaultCreateStoreOptions();
  const o = { scope: options.scope ?? d.scope, timeoutMs: options.timeoutMs ?? d.timeoutMs, clock: options.clock ?? d.clock };
  return new ScopedStore(backend, checkScope({ ...DEFAULT_STORE_SCOPE, ...o.scope }), o, new Deadlines(o.clock), true);
}

const SCOPE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

function checkScope(scope: StoreScope): StoreScope {
  for (const field of ['database', 'table'] as const) {
    const value: unknown = scope[field];
    if (typeof value !== 'string' || !SCOPE_NAME.test(value)) {
      throw new MicroError('BAD_REQUEST', `store ${field} ${JSON.stringify(value)}: use 1 to 64 letters, digits, _ or -`);
    }
  }
  return { database: scope.database, table: scope.table };
}

class ScopedStore implements Store {
  readonly #backend: StoreBackend;
  readonly #scope: StoreScope;
  readonly #options: Required<CreateStoreOptions>;
  readonly #deadlines: Deadlines;
  readonly #owner: boolean;
  readonly #errors: DeadlineErrors;

  constructor(backend: StoreBackend, scope: StoreScope, options: Required<CreateStoreOptions>, deadlines: Deadlines, owner: boolean) {
    this.#backend = backend;
    this.#scope = scope;
    this.#errors = storeErrors(backend, scope);
    this.#options = options;
    this.#deadlines = deadlines;
    this.#owner = owner;
  }

  get name(): string {
    return this.#backend.name;
  }

  get database(): string {
    return this.#scope.database;
  }

  get table(): string {
    return this.#scope.table;
  }

  read(key: string, options?: StoreCallOptions): Promise<StoreRecord>;
  read(query: StoreQuery): Promise<StoreRecord[]>;
  read(what: string | StoreQuery, options?: StoreCallOptions): Promise<StoreRecord | StoreRecord[]> {
    if (typeof what !== 'string') return this.#call('read', what, () => this.#backend.query(this.#scope, this.#query(what)));
    let work: Promise<StoreRecord | undefined>;
    let timeoutMs: number;
    try {
      timeoutMs = this.#timeout(options);
      work = this.#backend.get(this.#scope, this.#key(what));
    } catch (err) {
      return Promise.reject(this.#errors.failed('read', err));
    }
    return this.#deadlines.run(work, timeoutMs, this.#errors, 'read', what);
  }

  write(record: StoreWrite, options?: StoreWriteOptions): Promise<StoreRecord> {
    let work: Promise<StoreRecord>;
    let timeoutMs: number;
    try {
      timeoutMs = this.#timeout(options);
      const write = this.#write(record, options?.ifRevision);
      const fence = optionalCount('fencingToken', options?.fencingToken, 0);
      work = fence === undefined ? this.#backend.put(this.#scope, write) : this.#fencedPut(write, fence);
    } catch (err) {
      return Promise.reject(this.#errors.failed('write', err));
    }
    return this.#deadlines.run(work, timeoutMs, this.#errors, 'write');
  }

  /** A checked write: the value as bytes, the metadata copied and checked, the counts checked. */
  #write(record: StoreWrite, ifRevision: unknown): BackendWrite {
    if (typeof record !== 'object' || record === null) throw new MicroError('BAD_REQUEST', `${this.#where()}: write takes a record { key, value }`);
    const value: unknown = record.value;
    if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
      throw new MicroError('BAD_REQUEST', `${this.#where()}: the value of ${JSON.stringify(record.key)} must be a Uint8Array or a string (use jsonBytes for JSON)`);
    }
    const metadata: Record<string, string> = {};
    if (record.metadata != null) {
      for (const [k, v] of Object.entries(record.metadata)) {
        if (typeof v !== 'string') throw new MicroError('BAD_REQUEST', `${this.#where()}: metadata ${JSON.stringify(k)} must be a string`);
        metadata[k] = v;
      }
    }
    return {
      key: this.#key(record.key),
      value: toBytes(value),
      metadata,
      ttlMs: optionalCount('ttlMs', record.ttlMs, 1),
      ifRevision: optionalCount('ifRevision', ifRevision, 0),
    };
  }

  /** A compare-and-set loop: read the record's fence, refuse a smaller token, write over exactly that revision. */
  async #fencedPut(write: BackendWrite, token: number): Promise<StoreRecord> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.#backend.get(this.#scope, write.key);
      const seen = Number(current?.metadata[FENCE_METADATA] ?? 0);
      if (seen > token) throw new MicroError('CONFLICT', `${this.#where()}: write of ${JSON.stringify(write.key)} with fencing token ${token}, but it was written with ${seen}`);
      const revision = current?.revision ?? 0;
      if (write.ifRevision !== undefined && write.ifRevision !== revision) return this.#backend.put(this.#scope, write);
      try {
        return await this.#backend.put(this.#scope, { ...write, metadata: { ...write.metadata, [FENCE_METADATA]: String(token) }, ifRevision: revision });
      } catch (err) {
        // Another writer got in between: read its fence again (a while; then the contention is the caller's to see).
        if (!(err instanceof MicroError && err.reason === 'CONFLICT') || attempt >= 32) throw err;
      }
    }
  }

  delete(key: string, options: StoreCallOptions = {}): Promise<boolean> {
    return this.#call('delete', options, () => this.#backend.remove(this.#scope, this.#key(key)));
  }

  list(query: StoreQuery = {}): Promise<string[]> {
    return this.#call('list', query, () => this.#backend.keys(this.#scope, this.#query(query)));
  }

  scope(scope: Partial<StoreScope>): Store {
    return new ScopedStore(this.#backend, checkScope({ ...this.#scope, ...scope }), this.#options, this.#deadlines, false);
  }

  close(): Promise<void> {
    return this.#owner ? this.#backend.close() : Promise.resolve();
  }

  #where(): string {
    return `${this.#backend.name} store ${this.#scope.database}/${this.#scope.table}`;
  }

  #key(key: unknown): string {
    if (typeof key !== 'string' || key === '') throw new MicroError('BAD_REQUEST', `${this.#where()}: a key is a non-empty string`);
    const max = this.#backend.maxKeyBytes;
    // A UTF-16 unit is at most 3 UTF-8 bytes: most keys need no count.
    if (key.length * 3 <= max) return key;
    const bytes = Buffer.byteLength(key, 'utf8');
    if (bytes > max) throw new MicroError('BAD_REQUEST', `${this.#where()}: key is ${bytes} bytes, over the limit of ${max} bytes`);
    return key;
  }

  #query(q: StoreQuery): BackendQuery {
    if (typeof q !== 'object' || q === null) throw new MicroError('BAD_REQUEST', `${this.#where()}: a query is { prefix, suffix, limit, offset }`);
    for (const field of ['prefix', 'suffix'] as const) {
      if (q[field] !== undefined && typeof q[field] !== 'string') throw new MicroError('BAD_REQUEST', `${this.#where()}: ${field} must be a string`);
    }
    return {
      prefix: q.prefix ?? '',
      suffix: q.suffix ?? '',
      limit: optionalCount('limit', q.limit, 0),
      offset: optionalCount('offset', q.offset, 0) ?? 0,
    };
  }

  #timeout(options: StoreCallOptions | undefined): number {
    return optionalCount('timeoutMs', options?.timeoutMs, 1) ?? this.#options.timeoutMs;
  }

  /** Runs `op` under the call's deadline; a plain error from a back end becomes UNAVAILABLE naming the store. */
  #call<T>(what: string, options: StoreCallOptions, op: () => Promise<T>): Promise<T> {
    let timeoutMs: number;
    let work: Promise<T>;
    try {
      timeoutMs = this.#timeout(options);
      work = op();
    } catch (err) {
      return Promise.reject(this.#errors.failed(what, err));
    }
    return this.#deadlines.run(work, timeoutMs, this.#errors, what);
  }
}

/** The errors of a store's calls, naming its back end and scope. */
function storeErrors(backend: StoreBackend, scope: StoreScope): DeadlineErrors {
  const where = `${backend.name} store ${scope.database}/${scope.table}`;
  return {
    timedOut: (what, timeoutMs) => new MicroError('UNAVAILABLE', `${where}: ${what} did not finish within ${timeoutMs} ms`),
    failed: (what, err) => {
      if (err instanceof MicroError) return err;
      return new MicroError('UNAVAILABLE', `${where}: ${what} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    },
    missing: (key) => new MicroError('NOT_FOUND', `${where}: no record ${JSON.stringify(key)}`),
  };
}

function optionalCount(name: string, value: unknown, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new MicroError('BAD_REQUEST', `store ${name} must be an integer >= ${min}, not ${JSON.stringify(value)}`);
  }
  return value;
}
