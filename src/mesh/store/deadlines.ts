/**
 * Call deadlines without a timer per call, on the kernel's {@link TimeoutLists}: one timer per distinct timeout in
 * flight, a call that settles unlinked in O(1). A call allocates one promise and one {@link Pending}: the errors are
 * made by the caller's {@link DeadlineErrors}, only when one is needed, so the fast path builds no closures of its own.
 */
import type { Clock } from '../../actors/clock.ts';
import { type TimeoutList, TimeoutLists } from '../../actors/timeout-lists.ts';

/** How a caller's calls fail; `what` names the call (`read`, `write`…). */
export interface DeadlineErrors {
  /** The error of a call that did not finish within `timeoutMs`. */
  timedOut(what: string, timeoutMs: number): unknown;
  /** The error of a call whose work failed with `err`. */
  failed(what: string, err: unknown): unknown;
  /** The error of a read of `key` whose work found nothing. */
  missing(key: string): unknown;
}

class Pending {
  deadline = 0;
  prev: Pending | undefined = undefined;
  next: Pending | undefined = undefined;
  list: TimeoutList<Pending> | undefined = undefined;
  constructor(
    readonly resolve: (value: unknown) => void,
    readonly reject: (err: unknown) => void,
    readonly errors: DeadlineErrors,
    readonly what: string,
    readonly timeoutMs: number,
    /** A read of this key: its work resolving undefined fails with `errors.missing(key)`. */
    readonly key: string | undefined,
  ) {}
}

export class Deadlines {
  readonly #lists: TimeoutLists<Pending>;

  constructor(clock: Clock) {
    this.#lists = new TimeoutLists(clock, (p) => p.reject(p.errors.timedOut(p.what, p.timeoutMs)));
  }

  /**
   * Settles as `work` does, or fails with `errors.timedOut` once `timeoutMs` pass first; a failure of `work` is passed
   * through `errors.failed`. With a `key` (a read), `work` resolving undefined fails with `errors.missing(key)`.
   */
  run<T>(work: Promise<T | undefined>, timeoutMs: number, errors: DeadlineErrors, what: string, key?: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const pending = new Pending(resolve as (value: unknown) => void, reject, errors, what, timeoutMs, key);
      this.#lists.add(pending, timeoutMs);
      work.then(
        (value) => {
          if (!this.#lists.remove(pending)) return;
          if (value === undefined && pending.key !== undefined) pending.reject(errors.missing(pending.key));
          else pending.resolve(value);
        },
        (err: unknown) => {
          if (this.#lists.remove(pending)) pending.reject(errors.failed(what, err));
        },
      );
    });
  }

  /** Lists held (for tests: back to 0 once nothing is pending and their timers have run). */
  get lists(): number {
    return this.#lists.size;
  }
}
