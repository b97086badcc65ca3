/**
 * The file store, the embedded default: one append log per scope at `<directory>/<database>/<table>.log`, with a
 * CRC-32 per entry, fsync before a write is acknowledged, a torn tail dropped on open, and compaction. Its records
 * are held in memory (the log is replayed when a scope is first used). One store owns a log at a time (a lock file
 * beside it says which process), so give each process or node its own directory.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Clock } from '../../actors/clock.ts';
import { type Logger, silentLogger } from '../../actors/logger.ts';
import { MicroError } from '../errors.ts';
import type { BackendQuery, BackendWrite, StoreBackend } from './backend.ts';
import { ScopeLog } from './file-log.ts';
import { copyRecord } from './record-table.ts';
import { wallClock } from './memory.ts';
import { type CreateStoreOptions, createStore } from './scoped.ts';
import type { Store, StoreRecord, StoreScope } from './store.ts';

export interface FileStoreOptions extends CreateStoreOptions {
  /** Where the logs live; relative paths are from the working directory. @default '.micromesh/store' */
  directory?: string;
  /** Reads `now` for TTLs. Expiry times are persisted, so it must read epoch ms. @default wallClock (Date.now) */
  clock?: Clock;
  /** The longest key, in UTF-8 bytes. @default 1024 */
  maxKeyBytes?: number;
  /** A log over this size is rewritten without dead entries once less than half of it is live. @default 8 MiB */
  compactBytes?: number;
  /** @default silentLogger */
  logger?: Logger;
}

export function defaultFileStoreOptions() {
  return { directory: '.micromesh/store', maxKeyBytes: 1024, compactBytes: 8 * 1024 * 1024 };
}

/**
 * Creates a file store. Nothing touches the disk until a scope is first used.
 * @example
 * const store = createFileStore({ directory: '/var/lib/app/store' });
 * await store.write({ key: 'user/1', value: jsonBytes({ name: 'Ada' }) });
 */
export function createFileStore(options: FileStoreOptions = {}): Store {
  const d = defaultFileStoreOptions();
  const clock = options.clock ?? wallClock;
  const backend = new FileBackend({
    directory: resolve(options.directory ?? d.directory),
    now: () => clock.now(),
    logger: options.logger ?? silentLogger,
    compactBytes: options.compactBytes ?? d.compactBytes,
    maxKeyBytes: options.maxKeyBytes ?? d.maxKeyBytes,
  });
  return createStore(backend, { scope: options.scope, timeoutMs: options.timeoutMs, clock });
}

interface FileBackendOptions {
  directory: string;
  now: () => number;
  logger: Logger;
  compactBytes: number;
  maxKeyBytes: number;
}

class FileBackend implements StoreBackend {
  readonly name = 'file';
  readonly maxKeyBytes: number;
  readonly #options: FileBackendOptions;
  readonly #logs = new Map<string, Promise<ScopeLog>>();
  #closed = false;

  constructor(options: FileBackendOptions) {
    this.#options = options;
    this.maxKeyBytes = options.maxKeyBytes;
  }

  /** The scope's log, opened on first use; a log whose write failed is reopened from disk. */
  async #log(scope: StoreScope): Promise<ScopeLog> {
    if (this.#closed) throw new MicroError('UNAVAILABLE', 'file store is closed');
    const id = `${scope.database}/${scope.table}`;
    let opening = this.#logs.get(id);
    if (opening !== undefined) {
      const log = await opening.catch(() => undefined);
      if (log !== undefined && !log.failed) return log;
      if (this.#logs.get(id) === opening) this.#logs.delete(id);
      await log?.close().catch(() => {});
      opening = this.#logs.get(id);
    }
    if (opening === undefined) {
      opening = this.#open(scope);
      this.#logs.set(id, opening);
      opening.catch(() => {
        if (this.#logs.get(id) === opening) this.#logs.delete(id);
      });
    }
    return opening;
  }

  async #open(scope: StoreScope): Promise<ScopeLog> {
    const dir = join(this.#options.directory, scope.database);
    try {
      await mkdir(dir, { recursive: true });
      return await ScopeLog.open({ path: join(dir, `${scope.table}.log`), now: this.#options.now, logger: this.#options.logger, compactBytes: this.#options.compactBytes });
    } catch (err) {
      if (err instanceof MicroError) throw err;
      throw new MicroError('UNAVAILABLE', `file store cannot open ${dir}: ${(err as Error).message}`, { cause: err });
    }
  }

  async get(scope: StoreScope, key: string): Promise<StoreRecord | undefined> {
    const record = (await this.#log(scope)).table.get(key, this.#options.now());
    return record === undefined ? undefined : copyRecord(record);
  }

  async query(scope: StoreScope, query: BackendQuery): Promise<StoreRecord[]> {
    return (await this.#log(scope)).table.query(query, this.#options.now()).map(copyRecord);
  }

  async keys(scope: StoreScope, query: BackendQuery): Promise<string[]> {
    return (await this.#log(scope)).table.keys(query, this.#options.now());
  }

  async put(scope: StoreScope, write: BackendWrite): Promise<StoreRecord> {
    const log = await this.#log(scope);
    const record = log.table.prepare({ ...write, value: write.value.slice() }, this.#options.now());
    log.table.set(record);
    await this.#durable(log.append({ op: 'put', record }));
    return copyRecord(record);
  }

  async remove(scope: StoreScope, key: string): Promise<boolean> {
    const log = await this.#log(scope);
    const existed = log.table.delete(key, this.#options.now());
    if (existed) await this.#durable(log.append({ op: 'delete', key }));
    return existed;
  }

  async #durable(append: Promise<void>): Promise<void> {
    try {
      await append;
    } catch (err) {
      throw new MicroError('UNAVAILABLE', `file store could not write its log: ${(err as Error).message}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const logs = await Promise.allSettled([...this.#logs.values()]);
    this.#logs.clear();
    for (const log of logs) if (log.status === 'fulfilled') await log.value.close();
  }
}
