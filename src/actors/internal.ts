/**
 * The kernel as the mesh sees it: narrow internal views that are not part of the public API (src/index.ts does
 * not export this module). Users reach the kernel through ActorSystem's public methods only.
 */
import type { AskRegistry } from './ask.ts';
import { type Clock, systemClock } from './clock.ts';
import type { DeadLetterReason } from './event-stream.ts';
import type { Meta } from './refs.ts';
import type { ActorSystem, RemoteResolver } from './system.ts';

/** What the mesh needs from the kernel beyond the public API. */
export interface KernelInternals {
  /** Pending asks: `create(target, messageType, { timeoutMs, signal, onTimeout })`, lookup by reply token. */
  readonly asks: AskRegistry;
  /** The one clock of this system. */
  readonly clock: Clock;
  /** Registers how to reach actors on other nodes. Returns an unregister function. */
  addResolver(resolver: RemoteResolver): () => void;
  /** Records a dead letter (counted, published, log-throttled). */
  deadLetter(recipient: string, message: unknown, meta: Meta, reason: DeadLetterReason): void;
}

/** The internal view of a system. */
export function kernelOf(system: ActorSystem): KernelInternals {
  const s = system as unknown as KernelInternals & { clock?: Clock };
  return { asks: s.asks, clock: s.clock ?? systemClock, addResolver: (r) => s.addResolver(r), deadLetter: (...a) => s.deadLetter(...a) };
}
