import { Deque } from './deque.ts';

/** Something the dispatcher can run: processes up to its throughput and says whether work remains. */
export interface Runnable {
  scheduled: boolean;
  /** Handle queued messages; returns how many were handled. */
  run(): number;
  hasWork(): boolean;
}

/**
 * Runs ready actors one at a time on the main thread. A run starts on a microtask (low latency); once
 * `budget` messages have been handled since the event loop last got a turn, the next run goes through
 * `setImmediate`, so timers and I/O keep running under any message load, async handlers included.
 */
export class Dispatcher {
  readonly #ready = new Deque<Runnable>(64);
  readonly #budget: number;
  #scheduled = false;
  #sinceYield = 0;
  #resetArmed = false;

  constructor(budget = 300) {
    this.#budget = budget;
  }

  schedule(cell: Runnable): void {
    cell.scheduled = true;
    this.#ready.push(cell, undefined);
    if (this.#scheduled) return;
    this.#scheduled = true;
    if (this.#sinceYield >= this.#budget) setImmediate(this.#runAfterYield);
    else queueMicrotask(this.#run);
  }

  readonly #reset = (): void => {
    this.#resetArmed = false;
    this.#sinceYield = 0;
  };

  readonly #runAfterYield = (): void => {
    this.#sinceYield = 0;
    this.#run();
  };

  readonly #run = (): void => {
    const ready = this.#ready;
    while (ready.length > 0) {
      if (this.#sinceYield >= this.#budget) {
        setImmediate(this.#runAfterYield);
        return;
      }
      const cell = ready.shift() as Runnable;
      this.#sinceYield += cell.run() + 1;
      if (cell.hasWork()) ready.push(cell, undefined);
      else cell.scheduled = false;
    }
    this.#scheduled = false;
    // The counter is reset once the event loop has had a turn. Arming that reset only past half the budget
    // costs one setImmediate per ~budget/2 messages instead of one per run, and still bounds any chain of
    // microtask-driven runs to `budget` messages between event-loop turns.
    if (!this.#resetArmed && this.#sinceYield >= this.#budget >> 1) {
      this.#resetArmed = true;
      setImmediate(this.#reset);
    }
  };
}
