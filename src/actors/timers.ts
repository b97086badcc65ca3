import type { Clock } from './clock.ts';
import type { Timers } from './types.ts';

/** Delivers a timer message to its owner, tagged with the incarnation that started it. */
export type TimerSink<M> = (message: M, key: string, incarnation: number) => void;

/** One keyed timer; a periodic one re-arms a single timeout on the clock after each run. */
class TimerEntry<M> {
  handle: unknown = undefined;
  readonly fire = (): void => this.#fire();

  constructor(
    readonly owner: ActorTimers<M>,
    readonly key: string,
    readonly message: M,
    readonly delayMs: number,
    readonly periodic: boolean,
  ) {}

  #fire(): void {
    const owner = this.owner;
    if (this.periodic) this.handle = owner.clock.setTimeout(this.fire, this.delayMs);
    else owner.forget(this);
    owner.sink(this.message, this.key, owner.incarnation);
  }
}

/**
 * Timers of one actor incarnation, on the system's clock. A restart calls `cancelAll`, and every message carries its
 * incarnation, so a timer of an old incarnation never reaches a new one, even if its message was already queued.
 */
export class ActorTimers<M> implements Timers<M> {
  readonly #entries = new Map<string, TimerEntry<M>>();

  constructor(
    readonly incarnation: number,
    readonly sink: TimerSink<M>,
    readonly clock: Clock,
  ) {}

  startSingle(key: string, message: M, delayMs: number): void {
    this.#start(new TimerEntry(this, key, message, delayMs, false));
  }

  /** Every `intervalMs` (at least 1 ms, as `setInterval` does). */
  startPeriodic(key: string, message: M, intervalMs: number): void {
    this.#start(new TimerEntry(this, key, message, Math.max(Number.isNaN(intervalMs) ? 1 : intervalMs, 1), true));
  }

  #start(entry: TimerEntry<M>): void {
    this.cancel(entry.key);
    entry.handle = this.clock.setTimeout(entry.fire, entry.delayMs);
    this.#entries.set(entry.key, entry);
  }

  cancel(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.clock.clearTimeout(entry.handle);
    this.#entries.delete(key);
  }

  cancelAll(): void {
    for (const entry of this.#entries.values()) this.clock.clearTimeout(entry.handle);
    this.#entries.clear();
  }

  isActive(key: string): boolean {
    return this.#entries.has(key);
  }

  /** A single timer ran: it is no longer active (unless a new one took its key meanwhile). */
  forget(entry: TimerEntry<M>): void {
    if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
  }
}

/**
 * Resolves when `promise` settles or after `ms` on `clock`, whichever is first; `onTimeout` runs if time ran out.
 */
export function settleWithin(promise: Promise<void>, ms: number, onTimeout: () => void, clock: Clock): Promise<void> {
  let timer: unknown;
  const timeout = new Promise<void>((resolve) => {
    timer = clock.setTimeout(() => {
      onTimeout();
      resolve();
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clock.clearTimeout(timer));
}
