import type { Timers } from './types.ts';

interface Entry {
  handle: ReturnType<typeof setTimeout>;
  periodic: boolean;
}

/** Delivers a timer message to its owner, tagged with the incarnation that started it. */
export type TimerSink<M> = (message: M, key: string, incarnation: number) => void;

/**
 * Timers of one actor incarnation. A restart calls `cancelAll`, and every message carries its incarnation,
 * so a timer of an old incarnation never reaches a new one, even if its message was already queued.
 */
export class ActorTimers<M> implements Timers<M> {
  readonly #entries = new Map<string, Entry>();

  constructor(
    readonly incarnation: number,
    readonly sink: TimerSink<M>,
  ) {}

  startSingle(key: string, message: M, delayMs: number): void {
    this.cancel(key);
    const handle = setTimeout(() => {
      this.#entries.delete(key);
      this.sink(message, key, this.incarnation);
    }, delayMs);
    this.#entries.set(key, { handle, periodic: false });
  }

  startPeriodic(key: string, message: M, intervalMs: number): void {
    this.cancel(key);
    const handle = setInterval(() => this.sink(message, key, this.incarnation), intervalMs);
    this.#entries.set(key, { handle, periodic: true });
  }

  cancel(key: string): void {
    const e = this.#entries.get(key);
    if (e === undefined) return;
    if (e.periodic) clearInterval(e.handle);
    else clearTimeout(e.handle);
    this.#entries.delete(key);
  }

  cancelAll(): void {
    for (const key of [...this.#entries.keys()]) this.cancel(key);
  }

  isActive(key: string): boolean {
    return this.#entries.has(key);
  }
}

/** Resolves when `promise` settles or after `ms`, whichever is first; `onTimeout` runs if time ran out. */
export function settleWithin(promise: Promise<void>, ms: number, onTimeout: () => void): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      onTimeout();
      resolve();
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
