/**
 * One clock for the kernel and the mesh: monotonic time and timers. The actor system, asks, supervisors, the
 * client's deadlines, node health and the registries all take it from one place, so a test can swap in a
 * {@link SimulatedClock} and advance time instead of sleeping.
 */
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
  return Math.min(ms , MAX_TIMER_MS);
}

/** The process clock: `performance.now` and unref'd timers, so no clock user keeps a process alive by itself. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, safeDelay(ms)).unref(),
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

/**
 * A clock that only moves when told: tests advance it instead of sleeping.
 * @example
 * const clock = createSimulatedClock();
 * const system = createActorSystem({ clock });
 * clock.advance(5000); // every timer due in the next 5 s runs now, in order
 */
export function createSimulatedClock(start = 1_000): SimulatedClock {
  let now = start;
  let seq = 0;
  const timers = new Map<number, SimTimer>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      timers.set(id, { at: now + safeDelay(ms), seq: id, fn });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        let next: [number, SimTimer] | undefined;
        for (const entry of timers) {
          if (entry[1].at > until) continue;
          if (next === undefined || entry[1].at < next[1].at || (entry[1].at === next[1].at && entry[1].seq < next[1].seq)) next = entry;
        }
        if (next === undefined) break;
        timers.delete(next[0]);
        now = next[1].at;
        next[1].fn();
      }
      now = until;
    },
    get pending() {
      return timers.size;
    },
  };
}
