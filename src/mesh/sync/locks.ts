/** The public sync: a back end's three lease operations, with waiting, renewal, loss detection and elections. */
import { randomBytes } from 'node:crypto';
import { type Clock, processClock } from '../../actors/clock.ts';
import { MicroError } from '../errors.ts';
import type { SyncBackend } from './backend.ts';
import { LeaseKeeper } from './lease.ts';
import type { ElectOptions, Leadership, Lease, LockOptions, Sync } from './sync.ts';

export interface CreateSyncOptions {
  /** Runs renewals, waits and deadlines; a held lease and a wait keep the process alive. @default processClock */
  clock?: Clock;
  /** Names this process in the back end's lease records (PostgreSQL's `holder` column). @default a random id */
  holder?: string;
  /** A lock's TTL when `lock` is not given one. @default 10000 */
  ttlMs?: number;
  /** How long `lock` waits when not told. @default 10000 */
  waitMs?: number;
  /** Between two tries of a held lock, on average (jittered ±50%). @default 50 */
  retryMs?: number;
  /** Each back-end call's deadline; past it the call fails with UNAVAILABLE. @default 5000 */
  timeoutMs?: number;
}

export function defaultCreateSyncOptions() {
  return { ttlMs: 10_000, waitMs: 10_000, retryMs: 50, timeoutMs: 5000 };
}

/** The lock defaults among a concern's settings (a factory passes these on and keeps its back end's own). */
export function lockDefaults(o: Omit<CreateSyncOptions, 'clock' | 'holder'>): Omit<CreateSyncOptions, 'clock' | 'holder'> {
  return { ttlMs: o.ttlMs, waitMs: o.waitMs, retryMs: o.retryMs, timeoutMs: o.timeoutMs };
}

/** Lock ids of elections start with this. */
export const ELECTION_PREFIX = 'election:';

/**
 * Wraps a back end as a {@link Sync}. The back ends' factories (`createMemorySync`, the redis and postgres plugins)
 * call it; closing the Sync releases its leases and closes the back end.
 * @example
 * const sync = createSync(new MemorySyncBackend(), { ttlMs: 5000 });
 */
export function createSync(backend: SyncBackend, options: CreateSyncOptions = {}): Sync {
  return new LeaseSync(backend, { ...defaultCreateSyncOptions(), clock: processClock, holder: randomBytes(6).toString('hex'), ...defined(options) });
}

type Settings = ReturnType<typeof defaultCreateSyncOptions> & { clock: Clock; holder: string };

class LeaseSync implements Sync {
  readonly #backend: SyncBackend;
  readonly #o: Settings;
  readonly #held = new Set<LeaseKeeper>();
  #closed: Promise<void> | undefined;
  #holds = 0;

  constructor(backend: SyncBackend, settings: Settings) {
    this.#backend = backend;
    this.#o = settings;
  }

  get name(): string {
    return this.#backend.name;
  }

  async lock(id: string, options: LockOptions = {}): Promise<Lease> {
    checkId(id);
    const ttlMs = checkMs('ttlMs', options.ttlMs ?? this.#o.ttlMs, 1);
    const waitMs = checkMs('waitMs', options.waitMs ?? this.#o.waitMs, 0);
    const { clock } = this.#o;
    const deadline = clock.now() + waitMs;
    const holder = `${this.#o.holder}/${++this.#holds}`;
    for (;;) {
      this.#checkOpen();
      throwIfAborted(options.signal, id);
      const sentAt = clock.now();
      const token = await this.#call(`lock ${JSON.stringify(id)}`, () => this.#backend.acquire(id, holder, ttlMs));
      if (token !== undefined && this.#closed !== undefined) {
        // Closed while the acquire was in flight: give it back rather than keep a lease no one can release.
        await this.#backend.release(id, token).catch(() => {});
        this.#checkOpen();
      }
      if (token !== undefined) return this.#keep(id, token, ttlMs, sentAt);
      const left = deadline - clock.now();
      if (left <= 0) throw new MicroError('LOCK_TIMEOUT', `lock ${JSON.stringify(id)}: still held by another holder after waiting ${waitMs} ms`);
      await this.#sleep(Math.min(left, this.#o.retryMs * (0.5 + Math.random())), options.signal, id);
    }
  }

  async elect(name: string, options: ElectOptions = {}): Promise<Leadership> {
    const id = `${ELECTION_PREFIX}${name}`;
    for (;;) {
      try {
        const lease = await this.lock(id, { ttlMs: options.ttlMs, waitMs: Number.POSITIVE_INFINITY, signal: options.signal });
        return leadership(name, lease);
      } catch (err) {
        // A back end that is down for a while delays the campaign; anything else ends it.
        if (!(err instanceof MicroError && err.retryable) || this.#closed !== undefined) throw err;
        await this.#sleep(this.#o.retryMs * 10, options.signal, id);
      }
    }
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      await Promise.allSettled([...this.#held].map((lease) => lease.release()));
      await this.#backend.close();
    })();
    return this.#closed;
  }

  #checkOpen(): void {
    if (this.#closed !== undefined) throw new MicroError('UNAVAILABLE', `${this.name} sync is closed`);
  }

  #keep(id: string, token: number, ttlMs: number, sentAt: number): Lease {
    const lease = new LeaseKeeper(
      { backend: this.#backend, clock: this.#o.clock, call: (what, work) => this.#call(what, work), ended: (l) => this.#held.delete(l) },
      id,
      token,
      ttlMs,
      sentAt,
    );
    this.#held.add(lease);
    return lease;
  }

  /** A back-end call under the deadline, its failures as MicroErrors. */
  #call<T>(what: string, work: () => Promise<T>): Promise<T> {
    const { clock, timeoutMs } = this.#o;
    return new Promise<T>((resolve, reject) => {
      const timer = clock.setTimeout(() => reject(new MicroError('UNAVAILABLE', `${this.name} sync: ${what} got no answer within ${timeoutMs} ms`)), timeoutMs);
      work().then(
        (value) => {
          clock.clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clock.clearTimeout(timer);
          reject(MicroError.from(err));
        },
      );
    });
  }

  #sleep(ms: number, signal: AbortSignal | undefined, id: string): Promise<void> {
    const { clock } = this.#o;
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        clock.clearTimeout(timer);
        reject(cancelled(id));
      };
      const timer = clock.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function leadership(name: string, lease: Lease): Leadership {
  return {
    name,
    token: lease.token,
    get lost() {
      return lease.lost;
    },
    onLost: (fn) => lease.onLost(fn),
    resign: async () => {
      await lease.release();
    },
  };
}

function checkId(id: unknown): void {
  if (typeof id !== 'string' || id.length === 0 || id.length > 256) {
    throw new MicroError('BAD_REQUEST', `lock id ${JSON.stringify(id)}: use 1 to 256 characters`);
  }
}

function checkMs(name: string, value: number, min: number): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || (name === 'ttlMs' && !Number.isFinite(value))) {
    throw new MicroError('BAD_REQUEST', `lock ${name} ${String(value)}: use a number of milliseconds >= ${min}`);
  }
  return name === 'ttlMs' ? Math.ceil(value) : value;
}

const cancelled = (id: string): MicroError => new MicroError('CANCELLED', `lock ${JSON.stringify(id)}: the wait was aborted`);

function throwIfAborted(signal: AbortSignal | undefined, id: string): void {
  if (signal?.aborted === true) throw cancelled(id);
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
