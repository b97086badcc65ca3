import type { ActorSystem, EventOf, SystemEventType } from '../../src/actors/index.ts';

/** Polls `predicate` on each event-loop turn until it holds, or fails after `timeoutMs`. */
export async function waitUntil(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** Resolves with the next system event of `type` that matches, or fails after `timeoutMs`. */
export function nextEvent<T extends SystemEventType>(
  system: ActorSystem,
  type: T,
  match: (e: EventOf<T>) => boolean = () => true,
  timeoutMs = 5000,
): Promise<EventOf<T>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${type} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = system.events.on(type, (e) => {
      if (!match(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

/** Collects every event of `type` until `stop()` is called. */
export function collectEvents<T extends SystemEventType>(system: ActorSystem, type: T): { events: EventOf<T>[]; stop: () => void } {
  const events: EventOf<T>[] = [];
  const stop = system.events.on(type, (e) => events.push(e));
  return { events, stop };
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A manual clock for systems built with `now: clock.now`. */
export function manualClock(start = 1_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}
