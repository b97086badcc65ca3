/**
 * Death watch, on the watcher's side: a `terminated` system message for an actor this cell watches becomes a
 * `Terminated` signal to its behaviour (`onSignal`, else `receive`), once, unless the cell is stopping.
 */
import type { Cell } from './cell.ts';
import { Status } from './cell-status.ts';
import { type AnyRef, type StopReason, Terminated } from './types.ts';

export function deliverTerminated<M>(cell: Cell<M>, ref: AnyRef, reason: StopReason): void {
  if (cell.watching === undefined || !cell.watching.delete(ref)) return;
  const actor = cell.actor;
  if (actor === undefined || cell.status >= Status.Stopping) return;
  const signal = new Terminated(ref, reason);
  cell.currentMeta = undefined;
  let result: void | Promise<void>;
  try {
    result = actor.onSignal !== undefined ? actor.onSignal(signal, cell.ctx) : actor.receive(signal as M, cell.ctx);
  } catch (error) {
    cell.fail(error, 'receive');
    return;
  }
  if (result !== undefined && typeof (result as Promise<void>).then === 'function') cell.track(result, 'receive');
}
