/**
 * The sync concern: distributed locks with fencing tokens, and leader election built on them. A held lock is a lease
 * on the back end that a keeper renews every third of its TTL; when the back end says it is no longer ours, or does
 * not confirm it for a whole TTL, the lease is lost and `onLost` fires. Every failure is a MicroError.
 *
 * Fencing: a lease's `token` grows strictly with each acquisition of the same id, across every holder, so a
 * resource that remembers the highest token it has seen can refuse writes from a holder that lost the lock (a
 * paused process, a partition) after someone else took it.
 */

/** Options of {@link Sync.lock}. */
export interface LockOptions {
  /** How long the back end keeps the lease without a renewal; renewals run every third of it. @default 10000 */
  readonly ttlMs?: number;
  /** How long to wait for a held lock; past it the call fails with LOCK_TIMEOUT (408). 0 tries once. @default 10000 */
  readonly waitMs?: number;
  /** Aborts the wait with CANCELLED (499). @default undefined */
  readonly signal?: AbortSignal;
}

/** A held lock. */
export interface Lease {
  readonly id: string;
  /** The fencing token: strictly greater than every token given for this id before. */
  readonly token: number;
  /** Whether the lease was lost (or released). */
  readonly lost: boolean;
  /**
   * Runs `fn` once if the lease is lost (renewal refused, or not confirmed within the TTL); at once (on a later tick)
   * if it is lost already. Not run on `release()`. Returns a function that removes it.
   */
  onLost(fn: (reason: Error) => void): () => void;
  /** Stops renewing and frees the lock on the back end; resolves whether it was still ours. A second call does nothing. */
  release(): Promise<boolean>;
}

/** Options of {@link Sync.elect}. */
export interface ElectOptions {
  /** The leadership's lease TTL. @default 10000 */
  readonly ttlMs?: number;
  /** Stops campaigning: `elect` rejects with CANCELLED (499). @default undefined (campaign until won) */
  readonly signal?: AbortSignal;
}

/** This process's leadership of one election. */
export interface Leadership {
  readonly name: string;
  /** The fencing token of the leadership's lease. */
  readonly token: number;
  readonly lost: boolean;
  /** Runs `fn` once if leadership is lost without `resign()`. Returns a function that removes it. */
  onLost(fn: (reason: Error) => void): () => void;
  /** Steps down, so that another contender wins. */
  resign(): Promise<void>;
}

/** Locks and elections on one back end. */
export interface Sync {
  /** The back end's name: `memory`, `redis`, `postgres`. */
  readonly name: string;
  /**
   * Acquires the lock `id` (1 to 256 characters), waiting up to `waitMs` for its holder to release it or lose it.
   * @example
   * const lease = await node.sync.lock('invoices', { ttlMs: 5000, waitMs: 2000 });
   * try { await writeInvoices(lease.token); } finally { await lease.release(); }
   */
  lock(id: string, options?: LockOptions): Promise<Lease>;
  /**
   * Campaigns in the election `name` until this caller leads (or `signal` aborts). One leader at a time per name.
   * @example
   * const leader = await node.sync.elect('scheduler');
   * leader.onLost(() => stopScheduling());
   */
  elect(name: string, options?: ElectOptions): Promise<Leadership>;
  /** Releases every lease still held, then the back end (when this Sync made it). */
  close(): Promise<void>;
}
