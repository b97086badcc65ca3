/**
 * One scope's append log on disk and its records in memory. Writes are appended in batches (every write waiting
 * when the previous batch finished goes in the next one) and acknowledged after fsync; the log is rewritten without
 * dead entries (write a temp file, fsync, rename, fsync the directory) once most of it is dead.
 */
import { constants } from 'node:fs';
import { type FileHandle, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../../actors/logger.ts';
import { type FileLock, lockFile } from './file-lock.ts';
import { decodeLog, encodeEntry, type LogEntry } from './file-frames.ts';
import { RecordTable } from './record-table.ts';

export interface ScopeLogOptions {
  readonly path: string;
  readonly now: () => number;
  readonly logger: Logger;
  /** Compact when the log is over this size and less than half of it is live. */
  readonly compactBytes: number;
}

interface Pending {
  readonly frame: Buffer;
  readonly done: (err?: unknown) => void;
}

export class ScopeLog {
  readonly table = new RecordTable('file');
  readonly #options: ScopeLogOptions;
  #fh: FileHandle | undefined;
  #lock: FileLock | undefined;
  #size = 0;
  #queue: Pending[] = [];
  #flushing: Promise<void> | undefined;
  #failed: unknown;

  private constructor(options: ScopeLogOptions) {
    this.#options = options;
  }

  /** Opens (creating) the log at `options.path` and replays it; a torn tail is cut off the file and reported. */
  static async open(options: ScopeLogOptions): Promise<ScopeLog> {
    const log = new ScopeLog(options);
    log.#lock = await lockFile(`${options.path}.lock`);
    try {
      await log.#load();
    } catch (err) {
      await log.#lock.release();
      throw err;
    }
    return log;
  }

  async #load(): Promise<void> {
    const options = this.#options;
    const data = await readFile(options.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return Buffer.alloc(0);
      throw err;
    });
    const replay = decodeLog(data);
    for (const entry of replay.entries) this.#apply(entry);
    await rm(`${options.path}.compact`, { force: true });
    const fh = await open(options.path, constants.O_RDWR | constants.O_CREAT);
    if (replay.torn) {
      options.logger.warn({ path: options.path, kept: replay.validBytes, dropped: data.length - replay.validBytes }, 'store log had a torn or corrupt tail; dropped it');
      await fh.truncate(replay.validBytes);
      await fh.sync();
    }
    if (data.length === 0) await syncDir(dirname(options.path));
    this.#fh = fh;
    this.#size = replay.validBytes;
  }

  #apply(entry: LogEntry): void {
    if (entry.op === 'put') this.table.set(entry.record);
    else this.table.delete(entry.key, Number.NEGATIVE_INFINITY);
  }

  /** Appends an entry; resolves once it is on disk. The caller has applied it to `table` already. */
  append(entry: LogEntry): Promise<void> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ frame: encodeEntry(entry), done: (err) => (err === undefined ? resolve() : reject(err)) });
      this.#flushing ??= this.#flush();
    });
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      try {
        const fh = this.#fh as FileHandle;
        const bytes = Buffer.concat(batch.map((p) => p.frame));
        await fh.write(bytes, 0, bytes.length, this.#size);
        await fh.datasync();
        this.#size += bytes.length;
        for (const p of batch) p.done();
        await this.#maybeCompact();
      } catch (err) {
        // Memory may now hold what the disk does not: refuse further writes; the store reopens from disk.
        this.#failed = err;
        for (const p of [...batch, ...this.#queue.splice(0)]) p.done(err);
      }
    }
    this.#flushing = undefined;
  }

  get failed(): boolean {
    return this.#failed !== undefined;
  }

  async #maybeCompact(): Promise<void> {
    if (this.#size < this.#options.compactBytes) return;
    const live = this.table.live(this.#options.now()).map((record) => encodeEntry({ op: 'put', record }));
    const liveBytes = live.reduce((n, f) => n + f.length, 0);
    if (liveBytes * 2 > this.#size) return;
    const temp = `${this.#options.path}.compact`;
    const out = await open(temp, 'w');
    try {
      await out.writev(live);
      await out.sync();
    } finally {
      await out.close();
    }
    await rename(temp, this.#options.path);
    await syncDir(dirname(this.#options.path));
    await this.#fh?.close();
    this.#fh = await open(this.#options.path, 'r+');
    this.#size = liveBytes;
  }

  async close(): Promise<void> {
    await this.#flushing;
    await this.#fh?.close();
    this.#fh = undefined;
    await rm(`${this.#options.path}.compact`, { force: true });
    await this.#lock?.release();
    this.#lock = undefined;
  }
}

/** Makes a new or renamed file's directory entry durable. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
