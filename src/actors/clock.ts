/**
 * One clock for the kernel and the mesh: monotonic time and timers. The actor system, asks, supervisors, the
 * client's deadlines, node health and the registries all take it from one place, so a test can swap in a
 * {@link SimulatedClock} and advance time instead of sleeping.
 */
// Imported, not the global: the global `performance` is a getter, and `now` runs several times per call.
import { performance } from 'node:perf_hooks';

export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  /** Runs `callback` once after `ms`; delays past the platform limit (2^31-1 ms) are clamped, never fired at once. */
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The longest delay one platform timer takes; longer ones overflow and fire at once. */
export const MAX_TIMER_MS = 0x7fff_ffff;

/** A delay every timer can take: NaN and negatives become 0, anything over the platform limit is clamped. */
export function safeDelay(ms: number): number {
  if (!(ms > 0)) return 0;
  return Math.min(ms, MAX_TIMER_MS);
}

/** The process clock: `performance.now` and unref'd timers, so no clock user keeps a process alive by itself. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, safeDelay(ms)).unref(),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * The process clock with timers that keep the process alive while pending, as a plain `setTimeout` does: the
 * actor system's default, because a pending ask, an actor's timer or a shutdown deadline is work a program waits
 * for. Background work (registry TTLs, re-announcements) takes {@link systemClock} instead.
 */
export const processClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, safeDelay(ms)),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface SimulatedClock extends Clock {
  /** Moves time forward, running each timer that falls due, in order, at its due time. */
  advance(ms: number): void;
  /** Timers not yet run. */
  readonly pending: number;
}

interface SimTimer {
  at: number;
  seq: number;
  fn: () => void;
}

const earlier = (a: SimTimer, b: SimTimer): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/** A binary min-heap of timers by due time, then by creation order. */
class TimerHeap {
  readonly items: SimTimer[] = [];

  push(t: SimTimer): void {
    const h = this.items;
    let i = h.push(t) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!earlier(t, h[parent] as SimTimer)) break;
      h[i] = h[parent] as SimTimer;
      i = parent;
    }
    h[i] = t;
  }

  peek(): SimTimer | undefined {
    return this.items[0];
  }

  pop(): SimTimer | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= h.length) break;
      const right = left + 1;
      const child = right < h.length && earlier(h[right] as SimTimer, h[left] as SimTimer) ? right : left;
      if (!earlier(h[child] as SimTimer, last)) break;
      h[i] = h[child] as SimTimer;
      i = child;
    }
    h[i] = last;
    return top;
  }
}

/**
 * A clock that only moves when told: tests advance it instead of sleeping. Timers sit in a heap, so advancing past
 * many of them costs O(log n) each.
 * @example
 * const clock = createSimulatedClock();
 * const system = createActorSystem({ clock });
 * clock.advance(5000); // every timer due in the next 5 s runs now, in order
 */
export function createSimulatedClock(start = 1_000): SimulatedClock {
  let now = start;
  let seq = 0;
  const live = new Map<number, SimTimer>();
  let heap = new TimerHeap();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const timer = { at: now + safeDelay(ms), seq: ++seq, fn };
      live.set(timer.seq, timer);
      heap.push(timer);
      return timer.seq;
    },
    clearTimeout(handle) {
      if (!live.delete(handle as number)) return;
      // Cleared timers stay in the heap until due; rebuild it when they are most of it.
      if (heap.items.length > 64 && heap.items.length > 2 * live.size) {
        heap = new TimerHeap();
        for (const t of live.values()) heap.push(t);
      }
    },
    advance(ms) {
      const until = now + ms;
      for (let next = heap.peek(); next !== undefined && next.at <= until; next = heap.peek()) {
        heap.pop();
        if (!live.delete(next.seq)) continue;
        now = next.at;
        next.fn();
      }
      now = until;
    },
    get pending() {
      return live.size;
    },
  };
}
