/**
 * Call deadlines without a timer per call: the pending calls of one timeout form a list in deadline order (each is
 * added at the tail, `now + timeoutMs`), and one timer per list is armed for its head. A call that settles is unlinked
 * in O(1); when the timer fires, every call due fails and the timer is armed for the next. A list found empty when its
 * timer fires is dropped, so the lists follow the distinct timeouts in flight.
 */
import type { Clock } from '../../actors/clock.ts';

class Pending {
  deadline = 0;
  prev: Pending | undefined = undefined;
  next: Pending | undefined = undefined;
  list: TimeoutList | undefined = undefined;
  constructor(
    readonly reject: (err: unknown) => void,
    readonly timedOut: () => unknown,
  ) {}
}

class TimeoutList {
  head: Pending | undefined = undefined;
  tail: Pending | undefined = undefined;
  timer: unknown = undefined;
  armed = false;
  fire: () => void = () => {};
  constructor(readonly timeoutMs: number) {}
}

export class Deadlines {
  readonly #clock: Clock;
  readonly #lists = new Map<number, TimeoutList>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * Settles as `work` does, or fails with `timedOut()` once `timeoutMs` pass first; a failure of `work` is passed
   * through `failed`.
   */
  run<T>(work: Promise<T>, timeoutMs: number, timedOut: () => unknown, failed: (err: unknown) => unknown): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const pending = new Pending(reject, timedOut);
      this.#enlist(pending, timeoutMs);
      work.then(
        (value) => {
          if (pending.list === undefined) return;
          this.#unlink(pending);
          resolve(value);
        },
        (err: unknown) => {
          if (pending.list === undefined) return;
          this.#unlink(pending);
          reject(failed(err));
        },
      );
    });
  }

  /** Lists held (for tests: back to 0 once nothing is pending and their timers have run). */
  get lists(): number {
    return this.#lists.size;
  }

  #enlist(p: Pending, timeoutMs: number): void {
    let list = this.#lists.get(timeoutMs);
    if (list === undefined) {
      const created = new TimeoutList(timeoutMs);
      created.fire = () => this.#expire(created);
      this.#lists.set(timeoutMs, created);
      list = created;
    }
    p.deadline = this.#clock.now() + timeoutMs;
    p.list = list;
    p.prev = list.tail;
    if (list.tail !== undefined) list.tail.next = p;
    else list.head = p;
    list.tail = p;
    if (!list.armed) this.#arm(list, p);
  }

  #unlink(p: Pending): void {
    const list = p.list as TimeoutList;
    if (p.prev !== undefined) p.prev.next = p.next;
    else list.head = p.next;
    if (p.next !== undefined) p.next.prev = p.prev;
    else list.tail = p.prev;
    p.prev = p.next = p.list = undefined;
  }

  #arm(list: TimeoutList, head: Pending): void {
    list.armed = true;
    // A delay past the platform limit is clamped by the clock; the early run finds nothing due and re-arms.
    list.timer = this.#clock.setTimeout(list.fire, Math.max(0, Math.ceil(head.deadline - this.#clock.now())));
  }

  #expire(list: TimeoutList): void {
    list.armed = false;
    list.timer = undefined;
    const now = this.#clock.now();
    let p = list.head;
    while (p !== undefined && p.deadline <= now + 1) {
      this.#unlink(p);
      p.reject(p.timedOut());
      p = list.head;
    }
    if (p !== undefined) this.#arm(list, p);
    else if (this.#lists.get(list.timeoutMs) === list) this.#lists.delete(list.timeoutMs);
  }
}
