import type { ActorSystem, EventOf, SimulatedClock, SystemEventType } from '../../src/actors/index.ts';

/** Polls `predicate` on each event-loop turn until it holds, or fails after `timeoutMs`. */
export async function waitUntil(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** The pause between tries of a check that asks a server (a tight loop of failing lookups floods it). */
export const RETRY_MS = 5;

/**
 * {@link waitUntil} for a condition that needs I/O to answer (a lookup, a query, a call): checked again
 * {@link RETRY_MS} after each answer, so that a check failing in a loop does not flood the server it asks.
 */
export async function waitUntilAsync(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, RETRY_MS));
  }
}

/** Runs `check` until it resolves without throwing ({@link RETRY_MS} between tries), or rethrows its error after `timeoutMs`. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (performance.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
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

/** Lets the event loop turn `n` times (setImmediate each): queued messages and settled promises get handled. Never waits on time. */
export async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

/**
 * Polls `predicate` on each event-loop turn, failing after `n` turns. Unlike `waitUntil` it gives no wall-clock time:
 * after `clock.advance`, what the simulated clock made due must happen within a few turns, never on a real timer.
 */
export async function turnsUntil(predicate: () => boolean, what = 'condition', n = 50): Promise<void> {
  for (let i = 0; !predicate(); i++) {
    if (i >= n) throw new Error(`${what} did not happen within ${n} event-loop turns`);
    await new Promise((r) => setImmediate(r));
  }
}

/**
 * `promise`, if it settles within `n` event-loop turns; fails otherwise. For a system on a simulated clock that is
 * not advanced, something that would only settle on a timer fails here instead of hanging the test.
 */
export async function settlesSoon<T>(promise: Promise<T>, what = 'promise', n = 50): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => {
    settled = true;
  });
  watched.catch(() => {}); // the caller sees the rejection; it is not unhandled while we wait
  for (let i = 0; i < n && !settled; i++) await new Promise((r) => setImmediate(r));
  if (!settled) throw new Error(`${what} did not settle within ${n} event-loop turns`);
  return watched;
}

/**
 * Moves `clock` forward `ms` in steps of `stepMs`, letting the event loop turn a few times after each step: what a
 * timer starts (a renewal, a poll, a retry) settles before the next timer falls due, as it would in real time.
 */
export async function pass(clock: SimulatedClock, ms: number, stepMs = 10): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    clock.advance(Math.min(stepMs, ms - t));
    await turns(3);
  }
}

/**
 * Moves `clock` forward in steps of `stepMs` (as {@link pass}) until `predicate` holds; fails once `maxMs` of
 * simulated time passed without it. Never waits on a real timer.
 */
export async function passUntil(clock: SimulatedClock, predicate: () => boolean, what = 'condition', maxMs = 60_000, stepMs = 10): Promise<void> {
  for (let t = 0; !predicate(); t += stepMs) {
    if (t >= maxMs) throw new Error(`${what} did not happen within ${maxMs} ms of simulated time`);
    clock.advance(stepMs);
    await turns(3);
  }
}

/** `promise`, once it settles while `clock` moves forward in steps (as {@link passUntil}); fails after `maxMs` of simulated time. */
export async function passUntilSettled<T>(clock: SimulatedClock, promise: Promise<T>, what = 'promise', maxMs = 60_000, stepMs = 10): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => {
    settled = true;
  });
  watched.catch(() => {}); // the caller sees the rejection; it is not unhandled while time passes
  await passUntil(clock, () => settled, `${what} to settle`, maxMs, stepMs);
  return watched;
}
