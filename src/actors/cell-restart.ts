/**
 * How a supervisor's decision acts on a suspended cell: resume it, or restart it in two halves (tear the old
 * incarnation down, then create a fresh one at the same path and mailbox), so that `one_for_all` and `rest_for_one`
 * can tear all their cells down before any starts again.
 */
import type { Cell } from './cell.ts';
import { Status } from './cell-status.ts';
import { settleWithin } from './timers.ts';

/** Runs the suspended cell again with its state as it was (the failing message is dropped). */
export function resume(cell: Cell): void {
  if (cell.status !== Status.Suspended) return;
  cell.status = Status.Running;
  if (!cell.scheduled && cell.hasWork()) cell.system.dispatcher.schedule(cell);
}

/** First half of a restart: wait for (or abandon) the handler in flight, cancel timers, run preRestart, stop the children. */
export function teardown(cell: Cell, reason: unknown): Promise<void> | undefined {
  if (cell.status >= Status.Stopping) return undefined;
  cell.status = Status.Suspended;
  const idle = cell.whenIdle();
  if (idle !== undefined) {
    return settleWithin(idle, cell.options.shutdownMs, () => cell.abandonHandler(), cell.system.clock).then(() => teardown(cell, reason));
  }
  cell.cancelTimers(true);
  const actor = cell.actor;
  if (actor?.preRestart !== undefined) {
    try {
      const r = actor.preRestart(cell.ctx, reason);
      if (r !== undefined && typeof (r as Promise<void>).then === 'function') {
        return (r as Promise<void>).then(
          () => cell.stopChildren(),
          () => cell.stopChildren(),
        );
      }
    } catch (error) {
      cell.system.log.warn({ actor: cell.path, err: error }, 'preRestart threw; restarting anyway');
    }
  }
  return cell.stopChildren();
}

/** Second half of a restart: a new incarnation with fresh state, same path and mailbox. */
export function recreate(cell: Cell, reason: unknown): void {
  if (cell.status >= Status.Stopping) return;
  cell.token++;
  cell.incarnation = cell.system.nextIncarnation();
  cell.restarts++;
  cell.system.events.publish({ type: 'actor-restarted', actor: cell.path, incarnation: cell.incarnation, restarts: cell.restarts });
  cell.create(reason ?? new Error('restart'));
  if (!cell.scheduled && cell.hasWork()) cell.system.dispatcher.schedule(cell);
}
