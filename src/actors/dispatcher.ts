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
  /** A run, or a message handled at once (`claim`), is under way: nothing else may start on this stack. */
  #running = false;

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

  /**
   * Claims the right to handle one message at once, on the caller's stack, instead of on a later run: granted when
   * no run or other claimed message is under way (so a handler never starts inside another) and the budget since
   * the event loop last got a turn is not spent; the message counts against that budget. `release` must follow.
   */
  claim(): boolean {
    if (this.#running || this.#sinceYield >= this.#budget) return false;
    this.#running = true;
    this.#sinceYield++;
    this.#armReset();
    return true;
  }

  release(): void {
    this.#running = false;
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
    this.#running = true;
    try {
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
      this.#armReset();
    } finally {
      this.#running = false;
    }
  };

  // The counter is reset once the event loop has had a turn. Arming that reset only past half the budget
  // costs one setImmediate per ~budget/2 messages instead of one per run, and still bounds any chain of
  // microtask-driven runs (or messages handled at once) to `budget` messages between event-loop turns.
  #armReset(): void {
    if (!this.#resetArmed && this.#sinceYield >= this.#budget >> 1) {
      this.#resetArmed = true;
      setImmediate(this.#reset);
    }
  }
}
