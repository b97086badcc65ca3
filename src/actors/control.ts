import type { Cell } from './cell.ts';
import { recreate, resume, teardown } from './cell-restart.ts';
import type { Logger } from './logger.ts';
import type { ChildInfo, Directive, Failure, SupervisionControl } from './strategy.ts';
import type { AnyRef } from './types.ts';

/** Runs `step` over items in order, synchronously while steps are synchronous. */
export function sequence<T>(items: readonly T[], step: (item: T) => Promise<void> | undefined, from = 0): Promise<void> | undefined {
  for (let i = from; i < items.length; i++) {
    const pending = step(items[i] as T);
    if (pending !== undefined) return pending.then(() => sequence(items, step, i + 1));
  }
  return undefined;
}

/** The supervising side of a cell, as its strategy sees it. */
export class CellControl implements SupervisionControl {
  readonly #timers = new Set<unknown>();

  constructor(readonly cell: Cell) {}

  get self(): AnyRef {
    return this.cell.ref;
  }

  get log(): Logger {
    return this.cell.system.log;
  }

  now(): number {
    return this.cell.system.clock.now();
  }

  children(): ChildInfo[] {
    return this.cell.children.inOrder();
  }

  resume(child: ChildInfo): void {
    const c = this.#own(child);
    if (c === undefined) return;
    this.#decided(c, 'resume');
    resume(c);
  }

  restart(children: readonly ChildInfo[], options: { delayMs?: number; reason?: unknown } = {}): Promise<void> | undefined {
    const cells = children.map((c) => this.#own(c)).filter((c): c is Cell => c !== undefined);
    for (const c of cells) this.#decided(c, 'restart');
    const reason = options.reason;
    const start = (): void => {
      for (const c of cells) recreate(c, reason);
    };
    const afterTeardown = (): Promise<void> | undefined => {
      const delay = options.delayMs ?? 0;
      if (delay <= 0) {
        start();
        return undefined;
      }
      const clock = this.cell.system.clock;
      return new Promise<void>((resolve) => {
        const timer = clock.setTimeout(() => {
          this.#timers.delete(timer);
          start();
          resolve();
        }, delay);
        this.#timers.add(timer);
      });
    };
    const torn = sequence([...cells].reverse(), (c) => teardown(c, reason));
    return torn === undefined ? afterTeardown() : torn.then(afterTeardown);
  }

  stop(child: ChildInfo): void {
    const c = this.#own(child);
    if (c === undefined) return;
    this.#decided(c, 'stop');
    c.stop(c.lastFailure === undefined ? { type: 'normal' } : { type: 'failure', error: c.lastFailure });
  }

  respawn(child: ChildInfo): void {
    const c = child as Cell;
    if (c.parent !== this.cell || this.cell.children.has(c.name)) return;
    this.cell.system.respawn(this.cell, c);
  }

  escalate(failure: Failure): void {
    const stopped = this.cell.stopChildren();
    const fail = (): void => this.cell.fail(failure.error, failure.phase, failure.origin);
    if (stopped === undefined) fail();
    else stopped.then(fail);
  }

  /** Cancels delayed restarts (the supervisor is stopping). */
  dispose(): void {
    for (const t of this.#timers) this.cell.system.clock.clearTimeout(t);
    this.#timers.clear();
  }

  #own(child: ChildInfo): Cell | undefined {
    const c = child as Cell;
    return c.parent === this.cell && this.cell.children.named(c.name) === c ? c : undefined;
  }

  #decided(child: Cell, directive: Directive): void {
    this.cell.system.events.publish({ type: 'supervisor-decided', supervisor: this.cell.path, child: child.path, directive });
  }
}
