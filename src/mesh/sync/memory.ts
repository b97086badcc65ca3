/** The memory sync: locks in this process only, for tests and single-process programs. */
import { type Clock, processClock } from '../../actors/clock.ts';
import { MicroError } from '../errors.ts';
import type { SyncBackend } from './backend.ts';
import { type CreateSyncOptions, createSync } from './locks.ts';
import type { Sync } from './sync.ts';

export interface MemorySyncOptions extends CreateSyncOptions {
  /** A back end to share, so that several nodes in one process contend for the same locks. @default a new one */
  backend?: MemorySyncBackend;
}

/**
 * Creates a sync whose locks live in this process. Leases expire by `clock`.
 * @example
 * const sync = createMemorySync();
 * const lease = await sync.lock('job', { ttlMs: 1000 });
 */
export function createMemorySync(options: MemorySyncOptions = {}): Sync {
  const { backend: shared, ...rest } = options;
  const clock = options.clock ?? processClock;
  return createSync(shared === undefined ? new MemorySyncBackend(clock) : borrow(shared), { ...rest, clock });
}

/** A shared back end is not closed by the syncs that use it. */
function borrow(backend: MemorySyncBackend): SyncBackend {
  return {
    name: backend.name,
    acquire: (id, holder, ttlMs) => backend.acquire(id, holder, ttlMs),
    renew: (id, token, ttlMs) => backend.renew(id, token, ttlMs),
    release: (id, token) => backend.release(id, token),
    close: async () => {},
  };
}

interface Held {
  token: number;
  holder: string;
  expiresAt: number;
}

/** Leases in a map; tokens per id in another that never shrinks, so tokens keep growing after a release. */
export class MemorySyncBackend implements SyncBackend {
  readonly name = 'memory';
  readonly #clock: Clock;
  readonly #held = new Map<string, Held>();
  readonly #tokens = new Map<string, number>();
  #closed = false;

  constructor(clock: Clock = processClock) {
    this.#clock = clock;
  }

  #live(id: string): Held | undefined {
    if (this.#closed) throw new MicroError('UNAVAILABLE', 'memory sync is closed');
    const held = this.#held.get(id);
    return held !== undefined && held.expiresAt > this.#clock.now() ? held : undefined;
  }

  async acquire(id: string, holder: string, ttlMs: number): Promise<number | undefined> {
    if (this.#live(id) !== undefined) return undefined;
    const token = (this.#tokens.get(id) ?? 0) + 1;
    this.#tokens.set(id, token);
    this.#held.set(id, { token, holder, expiresAt: this.#clock.now() + ttlMs });
    return token;
  }

  async renew(id: string, token: number, ttlMs: number): Promise<boolean> {
    const held = this.#live(id);
    if (held?.token !== token) return false;
    held.expiresAt = this.#clock.now() + ttlMs;
    return true;
  }

  async release(id: string, token: number): Promise<boolean> {
    if (this.#live(id)?.token !== token) return false;
    this.#held.delete(id);
    return true;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#held.clear();
  }
}
