/**
 * What a sync back end implements: three atomic operations on a lease per lock id. {@link createSync} adds waiting,
 * renewal, loss detection and elections on top.
 */

export interface SyncBackend {
  readonly name: string;
  /**
   * Takes the lock if it is free or its lease expired, for `ttlMs`, minting its next fencing token in the same atomic
   * step; resolves the token, or undefined when someone else holds it. `holder` names the taker, for inspection.
   */
  acquire(id: string, holder: string, ttlMs: number): Promise<number | undefined>;
  /** Extends the lease to `ttlMs` from now if it is still held with `token`; false when it is not ours any more. */
  renew(id: string, token: number, ttlMs: number): Promise<boolean>;
  /** Frees the lock if it is still held with `token`; false when it was not (a stale holder frees nothing). */
  release(id: string, token: number): Promise<boolean>;
  close(): Promise<void>;
}
