import { Cell } from './cell.ts';
import type { AnyRef } from './types.ts';

/** Resolves once a local actor's current start (constructor and preStart) has completed, or failed. */
export function whenStarted(ref: AnyRef): Promise<void> {
  const cell = (ref as { cell?: unknown }).cell;
  if (!(cell instanceof Cell)) return Promise.resolve();
  return cell.whenStarted() ?? Promise.resolve();
}
