/**
 * What one group member knows of its keyed events' turns, for back ends whose members may live in different
 * processes (see `EventSource.turn`): which events it settled lately and which it holds unsettled. A delivery
 * waiting for a predecessor this member holds is woken by its settling; one waiting for another member's asks the
 * back end at a growing interval.
 */
import { type Clock, processClock } from '../../actors/clock.ts';
import { backoffDelay } from '../../supervisor/backoff.ts';

/** Events settled here lately, so that the next event of a key rarely needs to ask the back end. */
const SETTLED_KEPT = 4096;
/** The first pause between two asks about another member's delivery; each next one doubles, up to `pollMs / 10`. */
const FIRST_ASK_MS = 2;

export class TurnWaits<Id> {
  readonly #slowest: number;
  readonly #clock: Clock;
  readonly #settled = new Set<Id>();
  /** This member's deliveries not settled yet, with the waits to wake when they are. */
  readonly #unsettled = new Map<Id, Array<() => void>>();
  readonly #sleepers = new Set<() => void>();
  #closed = false;

  /** `pollMs`: the back end's poll interval; asking slows down to a tenth of it. `clock` runs the pauses between asks. */
  constructor(pollMs: number, clock: Clock = processClock) {
    this.#slowest = Math.max(2, pollMs / 10);
    this.#clock = clock;
  }

  /** A keyed delivery arrived at this member. */
  delivered(id: Id): void {
    if (!this.#unsettled.has(id)) this.#unsettled.set(id, []);
  }

  /** This member settled `id`: what waited on it may run. */
  settled(id: Id): void {
    this.#settled.add(id);
    if (this.#settled.size > SETTLED_KEPT) this.#settled.delete(this.#settled.values().next().value as Id);
    const waiters = this.#unsettled.get(id);
    this.#unsettled.delete(id);
    for (const wake of waiters ?? []) wake();
  }

  /**
   * `undefined` when `prev` is settled here already (or the member closed), else a promise that resolves once it is
   * settled here or `settledElsewhere(prev)` says so. While `prev` is one of this member's own deliveries the back end
   * is asked only every `pollMs / 10` (another incarnation of this member may settle it); otherwise from 2 ms on,
   * doubling up to that.
   */
  wait(prev: Id, settledElsewhere: () => Promise<boolean>): Promise<void> | undefined {
    if (this.#settled.has(prev) || this.#closed) return undefined;
    return this.#wait(prev, settledElsewhere);
  }

  async #wait(prev: Id, settledElsewhere: () => Promise<boolean>): Promise<void> {
    const backoff = { minMs: FIRST_ASK_MS, maxMs: this.#slowest, jitter: 0 };
    let pauses = 0;
    for (let ask = !this.#unsettled.has(prev); ; ask = true) {
      if (ask && (await settledElsewhere())) return;
      if (this.#settled.has(prev) || this.#closed) return;
      const mine = this.#unsettled.get(prev);
      const pause = backoffDelay(pauses++, backoff);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.#clock.clearTimeout(timer);
          this.#sleepers.delete(wake);
          resolve();
        };
        const timer = this.#clock.setTimeout(wake, mine === undefined ? pause : this.#slowest);
        this.#sleepers.add(wake);
        mine?.push(wake);
      });
      if (this.#settled.has(prev) || this.#closed) return;
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Ends every wait (the member stops). */
  close(): void {
    this.#closed = true;
    for (const wake of [...this.#sleepers]) wake();
  }
}
