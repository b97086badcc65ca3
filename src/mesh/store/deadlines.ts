/**
 * Call deadlines without a timer per call, on the kernel's {@link TimeoutLists}: one timer per distinct timeout in
 * flight, a call that settles unlinked in O(1).
 */
import type { Clock } from '../../actors/clock.ts';
import { type TimeoutList, TimeoutLists } from '../../actors/timeout-lists.ts';

class Pending {
  deadline = 0;
  prev: Pending | undefined = undefined;
  next: Pending | undefined = undefined;
  list: TimeoutList<Pending> | undefined = undefined;
  constructor(
    readonly reject: (err: unknown) => void,
    readonly timedOut: () => unknown,
  ) {}
}

export class Deadlines {
  readonly #lists: TimeoutLists<Pending>;

  constructor(clock: Clock) {
    this.#lists = new TimeoutLists<Pending>(clock, (p) => p.reject(p.timedOut()));
  }

  /**
   * Settles as `work` does, or fails with `timedOut()` once `timeoutMs` pass first; a failure of `work` is passed
   * through `failed`.
   */
  run<T>(work: Promise<T>, timeoutMs: number, timedOut: () => unknown, failed: (err: unknown) => unknown): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const pending = new Pending(reject, timedOut);
      this.#lists.add(pending, timeoutMs);
      work.then(
        (value) => {
          if (this.#lists.remove(pending)) resolve(value);
        },
        (err: unknown) => {
          if (this.#lists.remove(pending)) reject(failed(err));
        },
      );
    });
  }

  /** Lists held (for tests: back to 0 once nothing is pending and their timers have run). */
  get lists(): number {
    return this.#lists.size;
  }
}
