/**
 * An append-only file of CRC-checked frames (`u32 length | u32 CRC-32 | payload`, big-endian) with one owner. On open
 * it reads every whole, valid frame; a torn or corrupt tail (a crash mid-write) is cut off and reported. Appends are
 * written in order and resolve once on disk by the `fsync` policy.
 */
import { constants } from 'node:fs';
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import type { Logger } from '../../actors/logger.ts';
import { type FileLock, lockFile } from '../store/file-lock.ts';

/**
 * When an append is acknowledged: `each` after its own fsync, `batch` after an fsync shared by every append that
 * queued meanwhile (group commit; equally durable), `never` after the write only (survives a process crash, not a
 * power loss).
 */
export type FsyncPolicy = 'each' | 'batch' | 'never';

const HEADER = 8;

export function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.writeUInt32BE(crc32(payload), 4);
  payload.copy(out, HEADER);
  return out;
}

interface Pending {
  readonly bytes: Buffer;
  readonly done: (err?: unknown) => void;
}

export class FrameLog {
  readonly #fh: FileHandle;
  readonly #lock: FileLock;
  readonly #fsync: FsyncPolicy;
  #size: number;
  #queue: Pending[] = [];
  #flushing: Promise<void> | undefined;
  #failed: unknown;

  private constructor(fh: FileHandle, lock: FileLock, size: number, fsync: FsyncPolicy) {
    this.#fh = fh;
    this.#lock = lock;
    this.#size = size;
    this.#fsync = fsync;
  }

  /** Opens (creating) the file and returns it with the payloads of its valid frames. */
  static async open(path: string, fsync: FsyncPolicy, logger: Logger): Promise<{ log: FrameLog; payloads: Buffer[] }> {
    const lock = await lockFile(`${path}.lock`);
    try {
      const data = await readFile(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return Buffer.alloc(0);
        throw err;
      });
      const payloads: Buffer[] = [];
      let at = 0;
      while (data.length - at >= HEADER) {
        const end = at + HEADER + data.readUInt32BE(at);
        if (end > data.length) break;
        const payload = data.subarray(at + HEADER, end);
        if (crc32(payload) !== data.readUInt32BE(at + 4)) break;
        payloads.push(payload);
        at = end;
      }
      const fh = await open(path, constants.O_RDWR | constants.O_CREAT);
      if (at < data.length) {
        logger.warn({ path, kept: at, dropped: data.length - at }, 'event log had a torn or corrupt last record; dropped it');
        await fh.truncate(at);
        await fh.sync();
      }
      return { log: new FrameLog(fh, lock, at, fsync), payloads };
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  /** Appends one frame; resolves once it is durable by the policy. */
  append(payload: Buffer): Promise<void> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ bytes: frame(payload), done: (err) => (err === undefined ? resolve() : reject(err)) });
      this.#flushing ??= this.#flush();
    });
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#fsync === 'each' ? this.#queue.splice(0, 1) : this.#queue.splice(0);
      try {
        const bytes = batch.length === 1 ? (batch[0] as Pending).bytes : Buffer.concat(batch.map((p) => p.bytes));
        await this.#fh.write(bytes, 0, bytes.length, this.#size);
        if (this.#fsync !== 'never') await this.#fh.datasync();
        this.#size += bytes.length;
        for (const p of batch) p.done();
      } catch (err) {
        // The file may now hold part of a frame: refuse further appends; reopening cuts the torn tail.
        this.#failed = err;
        for (const p of [...batch, ...this.#queue.splice(0)]) p.done(err);
      }
    }
    this.#flushing = undefined;
  }

  async close(): Promise<void> {
    await this.#flushing;
    await this.#fh.close();
    await this.#lock.release();
  }
}
