import type { Clock } from '../../../../src/mesh/registry/registry.ts';

export interface ManualClock extends Clock {
  /** Moves time forward, running each timer that falls due, in order, at its due time. */
  advance(ms: number): void;
  /** Timers not yet run. */
  readonly pending: number;
}

/** A clock that only moves when told: tests advance it instead of sleeping. */
export function createManualClock(start = 1_000): ManualClock {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; seq: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      timers.set(id, { at: now + Math.max(0, ms), seq: id, fn });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        let next: [number, { at: number; seq: number; fn: () => void }] | undefined;
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
