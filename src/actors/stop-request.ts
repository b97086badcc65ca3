import type { Clock } from './clock.ts';

/**
 * A requested stop of one actor: `done` resolves once it has stopped, and `force` runs if that takes longer than
 * its shutdown time. Allocated only when a stop is asked for, so a running actor carries one empty slot for it.
 */
export class StopRequest {
  readonly done: Promise<void>;
  #resolve: () => void = () => {};
  readonly #timer: unknown;

  constructor(
    readonly clock: Clock,
    shutdownMs: number,
    force: () => void,
  ) {
    this.done = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    this.#timer = clock.setTimeout(force, shutdownMs);
  }

  /** The actor has stopped: the deadline is cleared and the waiters resume. */
  finish(): void {
    this.clock.clearTimeout(this.#timer);
    this.#resolve();
  }
}
