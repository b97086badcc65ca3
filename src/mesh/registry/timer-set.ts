import type { Clock } from '../../actors/clock.ts';

/** The timers one owner armed on a clock, so closing it clears them all; after `close` none is armed. */
export class TimerSet {
  readonly #clock: Clock;
  readonly #timers = new Set<unknown>();
  #closed = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Runs `fn` after `ms`; undefined (nothing armed) for an infinite delay or once closed. */
  after(ms: number, fn: () => void): unknown {
    if (ms === Number.POSITIVE_INFINITY || this.#closed) return undefined;
    const timer = this.#clock.setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
    return timer;
  }

  cancel(timer: unknown): void {
    if (timer === undefined) return;
    this.#clock.clearTimeout(timer);
    this.#timers.delete(timer);
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) this.#clock.clearTimeout(timer);
    this.#timers.clear();
  }
}
