/**
 * How a cell stops: its behaviour's preStop, its timers and queued messages, its children in reverse start order,
 * postStop, then the final bookkeeping (watchers told, parent told, events published). A forced stop skips the waits.
 */
import type { Cell } from './cell.ts';
import { Status } from './cell-status.ts';
import type { LocalRef } from './local-ref.ts';
import type { StopReason } from './types.ts';

/** The graceful stop a `stop` system message starts. */
export function terminate(cell: Cell, reason: StopReason): void {
  if (cell.status >= Status.Stopping) return;
  cell.status = Status.Stopping;
  try {
    cell.actor?.preStop?.(cell.ctx);
  } catch (error) {
    cell.system.log.warn({ actor: cell.path, err: error }, 'preStop threw; stopping anyway');
  }
  cell.cancelTimers();
  cell.mailbox.deadLetterAll();
  const children = stopChildren(cell);
  if (children !== undefined) children.then(() => postStop(cell, reason));
  else postStop(cell, reason);
}

function postStop(cell: Cell, reason: StopReason): void {
  if (cell.status === Status.Stopped) return;
  let final = reason;
  try {
    const r = cell.actor?.postStop?.(cell.ctx);
    if (r !== undefined && typeof (r as Promise<void>).then === 'function') {
      (r as Promise<void>).then(
        () => finalize(cell, reason),
        (error: unknown) => finalize(cell, stopFailure(cell, error)),
      );
      return;
    }
  } catch (error) {
    final = stopFailure(cell, error);
  }
  finalize(cell, final);
}

function stopFailure(cell: Cell, error: unknown): StopReason {
  cell.system.events.publish({ type: 'actor-failed', actor: cell.path, error, phase: 'stop' });
  cell.system.log.error({ actor: cell.path, err: error }, 'postStop failed');
  return { type: 'failure', error };
}

/** Stops the children one by one in reverse start order; undefined when there are none. */
export function stopChildren(cell: Cell): Promise<void> | undefined {
  const kids = cell.children.inOrder();
  if (kids.length === 0) return undefined;
  return kids.reverse().reduce<Promise<void>>((chain, kid) => chain.then(() => kid.stop()), Promise.resolve());
}

/** Stops at once, without waiting for handlers, children or postStop; reported as a forced stop. */
export function forceStop(cell: Cell): void {
  if (cell.status === Status.Stopped) return;
  const afterMs = cell.options.shutdownMs;
  for (const kid of cell.children.inOrder().reverse()) forceStop(kid);
  cell.abandonHandler();
  cell.mailbox.deadLetterAll();
  cell.system.events.publish({ type: 'forced-stop', actor: cell.path, afterMs });
  cell.system.log.warn({ actor: cell.path, afterMs }, 'actor did not stop in time; forced');
  finalize(cell, { type: 'forced', afterMs });
}

/** The end of a stop: nothing of the actor runs again; watchers, parent and the event stream hear of it. */
export function finalize(cell: Cell, reason: StopReason): void {
  if (cell.status === Status.Stopped) return;
  cell.status = Status.Stopped;
  cell.stopReason = reason;
  cell.token++;
  cell.busy = false;
  cell.cancelTimers();
  cell.mailbox.deadLetterAll();
  cell.mailbox.clearSystem();
  cell.actor = undefined;
  cell.ctx.disposeControl();
  if (cell.watching !== undefined) for (const ref of cell.watching) (ref as LocalRef).removeWatcher?.(cell);
  cell.watching = undefined;
  const parent = cell.parent;
  if (parent !== undefined) parent.childStopped(cell, reason);
  if (cell.watchers !== undefined) {
    const watchers = cell.watchers;
    cell.watchers = undefined;
    for (const w of watchers) w.notifyTerminated(cell.ref, reason);
  }
  if (parent?.parent !== undefined) cell.system.actorStopped();
  cell.system.events.publish({ type: 'actor-stopped', actor: cell.path, reason });
  cell.startDone();
  cell.stopRequest?.finish();
}
