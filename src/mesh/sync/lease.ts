/**
 * The keeper of one held lease: it renews it every third of the TTL and watches the time since the back end last
 * confirmed it. Refused renewal, or no confirmation for a whole TTL (measured from when the confirming request was
 * sent, so the keeper gives up no later than the back end does), loses the lease and runs its `onLost` callbacks.
 */
import type { Clock } from '../../actors/clock.ts';
import { MicroError } from '../errors.ts';
import type { SyncBackend } from './backend.ts';
import type { Lease } from './sync.ts';

/** What a keeper needs from its Sync. */
export interface KeeperDeps {
  readonly backend: SyncBackend;
  readonly clock: Clock;
  /** Runs a back-end call under the Sync's deadline. */
  call<T>(what: string, work: () => Promise<T>): Promise<T>;
  /** Called once when the lease ends (lost or released). */
  ended(lease: LeaseKeeper): void;
}

export class LeaseKeeper implements Lease {
  readonly id: string;
  readonly token: number;
  readonly #deps: KeeperDeps;
  readonly #ttlMs: number;
  readonly #listeners = new Set<(reason: Error) => void>();
  #renewTimer: unknown;
  #expiryTimer: unknown;
  #lastError: unknown;
  #lostReason: Error | undefined;
  #released: Promise<boolean> | undefined;
  /** When the lease runs out unless a renewal is confirmed, by the clock. */
  #expiresAt = 0;

  constructor(deps: KeeperDeps, id: string, token: number, ttlMs: number, confirmedAt: number) {
    this.#deps = deps;
    this.id = id;
    this.token = token;
    this.#ttlMs = ttlMs;
    this.#armExpiry(confirmedAt);
    this.#armRenewal();
  }

  /**
   * Read at any instant, even before a timer had a chance to run: a process paused past its TTL (a stopped event
   * loop, a frozen VM) sees the lease lost, and its `onLost` callbacks run, the moment it asks after waking.
   */
  get lost(): boolean {
    if (this.#lostReason === undefined && this.#released === undefined && this.#deps.clock.now() >= this.#expiresAt) this.#expire();
    return this.#lostReason !== undefined || this.#released !== undefined;
  }

  onLost(fn: (reason: Error) => void): () => void {
    const reason = this.#lostReason;
    if (reason !== undefined) {
      queueMicrotask(() => safely(fn, reason));
      return () => {};
    }
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  release(): Promise<boolean> {
    if (this.#lostReason !== undefined) return Promise.resolve(false);
    this.#released ??= this.#release();
    return this.#released;
  }

  async #release(): Promise<boolean> {
    this.#stop();
    this.#listeners.clear();
    return this.#deps.call(`release of lock ${JSON.stringify(this.id)}`, () => this.#deps.backend.release(this.id, this.token));
  }

  #stop(): void {
    const { clock } = this.#deps;
    clock.clearTimeout(this.#renewTimer);
    clock.clearTimeout(this.#expiryTimer);
    this.#deps.ended(this);
  }

  #armRenewal(): void {
    this.#renewTimer = this.#deps.clock.setTimeout(() => void this.#renew(), Math.max(1, Math.floor(this.#ttlMs / 3)));
  }

  #armExpiry(confirmedAt: number): void {
    const { clock } = this.#deps;
    clock.clearTimeout(this.#expiryTimer);
    this.#expiresAt = confirmedAt + this.#ttlMs;
    this.#expiryTimer = clock.setTimeout(() => this.#expire(), this.#expiresAt - clock.now());
  }

  #expire(): void {
    const detail = `lock ${JSON.stringify(this.id)}: the back end did not confirm the lease within its ttl (${this.#ttlMs} ms)`;
    this.#lose(new MicroError('UNAVAILABLE', detail, { cause: this.#lastError }));
  }

  async #renew(): Promise<void> {
    const sentAt = this.#deps.clock.now();
    let ours: boolean;
    try {
      ours = await this.#deps.call(`renewal of lock ${JSON.stringify(this.id)}`, () => this.#deps.backend.renew(this.id, this.token, this.#ttlMs));
    } catch (err) {
      // Unreachable for now: keep trying; the expiry timer decides when the lease is lost.
      this.#lastError = err;
      if (this.#lostReason === undefined && this.#released === undefined) this.#armRenewal();
      return;
    }
    if (this.#lostReason !== undefined || this.#released !== undefined) return;
    if (!ours) {
      this.#lose(new MicroError('CONFLICT', `lock ${JSON.stringify(this.id)}: the lease with token ${this.token} is no longer ours`));
      return;
    }
    this.#lastError = undefined;
    this.#armExpiry(sentAt);
    this.#armRenewal();
  }

  #lose(reason: Error): void {
    if (this.#lostReason !== undefined || this.#released !== undefined) return;
    this.#lostReason = reason;
    this.#stop();
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const fn of listeners) safely(fn, reason);
  }
}

/** A callback that throws must not stop the others, nor become an unhandled rejection. */
function safely(fn: (reason: Error) => void, reason: Error): void {
  try {
    fn(reason);
  } catch {
    // The user's callback failed; the lease is lost either way.
  }
}
