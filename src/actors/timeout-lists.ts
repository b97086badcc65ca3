/**
 * Deadlines without a timer per item: the items of one timeout form a list in deadline order (each is added at the
 * tail, `now + timeoutMs`) and one timer per list is armed for its head. An item that settles is unlinked in O(1);
 * when a timer fires, every item due expires and the timer is armed for the next. A list found empty when its timer
 * fires is dropped, so the lists follow the distinct timeouts in flight. (Dropping a list when its last item goes
 * instead would cost a timer armed and cleared per item for a caller with one at a time.) The ask registry and the
 * store's call deadlines use it.
 */
import type { Clock } from './clock.ts';
import { type Ends, type Links, linkLast, unlink } from './linked-list.ts';

/** An item that can wait on a {@link TimeoutLists}. */
export interface Deadlined<T> extends Links<T> {
  /** When it expires, on the clock's time (set when it is added). */
  deadline: number;
  /** The list it waits on; undefined once removed. */
  list: TimeoutList<T> | undefined;
}

export class TimeoutList<T> implements Ends<T> {
  head: T | undefined = undefined;
  tail: T | undefined = undefined;
  timer: unknown = undefined;
  armed = false;
  fire: () => void = () => {};
  constructor(readonly timeoutMs: number) {}
}

export class TimeoutLists<T extends Deadlined<T>> {
  readonly #lists = new Map<number, TimeoutList<T>>();

  /** `expire` is called for each item due, still on its list; it is taken off afterwards if `expire` left it there. */
  constructor(
    readonly clock: Clock,
    readonly expire: (item: T) => void,
  ) {}

  /** Lists held (for tests: back to 0 once nothing waits and their timers have run). */
  get size(): number {
    return this.#lists.size;
  }

  /** Puts `item` (on no list) on the list of `timeoutMs`, due `timeoutMs` from now. */
  add(item: T, timeoutMs: number): void {
    let list = this.#lists.get(timeoutMs);
    if (list === undefined) {
      const created = new TimeoutList<T>(timeoutMs);
      created.fire = () => this.#expire(created);
      this.#lists.set(timeoutMs, created);
      list = created;
    }
    item.deadline = this.clock.now() + timeoutMs;
    item.list = list;
    linkLast(list, item);
    if (!list.armed) this.#arm(list, list.head as T);
  }

  /** Takes `item` off its list; false when it was on none. */
  remove(item: T): boolean {
    const list = item.list;
    if (list === undefined) return false;
    unlink(list, item);
    item.list = undefined;
    return true;
  }

  /** Passes every item waiting to `each` (taking it off afterwards, as for expiry) and drops every list with its timer. */
  clear(each: (item: T) => void): void {
    for (const list of this.#lists.values()) {
      for (let item = list.head; item !== undefined; item = list.head) {
        each(item);
        if (list.head === item) this.remove(item);
      }
      if (list.armed) this.clock.clearTimeout(list.timer);
      list.armed = false;
      list.timer = undefined;
    }
    this.#lists.clear();
  }

  #arm(list: TimeoutList<T>, head: T): void {
    list.armed = true;
    // A delay past the platform limit is clamped by the clock; the early run finds nothing due and re-arms.
    list.timer = this.clock.setTimeout(list.fire, Math.max(0, Math.ceil(head.deadline - this.clock.now())));
  }

  #expire(list: TimeoutList<T>): void {
    list.armed = false;
    list.timer = undefined;
    const now = this.clock.now();
    let item = list.head;
    // Expiring the head takes it off the list; a callback that settles others takes them off too.
    while (item !== undefined && item.deadline <= now + 1) {
      this.expire(item);
      if (list.head === item) this.remove(item);
      item = list.head;
    }
    // A callback that added an item to this list has armed it already.
    if (list.armed) return;
    if (item !== undefined) this.#arm(list, item);
    else if (this.#lists.get(list.timeoutMs) === list) this.#lists.delete(list.timeoutMs);
  }
}
