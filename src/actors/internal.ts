/**
 * The kernel as the mesh sees it: narrow internal views that are not part of the public API (src/index.ts does
 * not export this module). Users reach the kernel through ActorSystem's public methods only.
 */
import type { AskRegistry } from './ask.ts';
import type { Clock } from './clock.ts';
import type { DeadLetterReason } from './event-stream.ts';
import type { RemoteResolver } from './kernel.ts';
import type { Meta } from './refs.ts';
import type { SnapshotLimits, TreeSnapshot } from './snapshot.ts';
import type { ActorSystem } from './system.ts';
import type { AnyRef, Reminders, SendResult } from './types.ts';

/** What the mesh needs from the kernel beyond the public API. */
export interface KernelInternals {
  /**
   * Pending asks: `create(target, messageType, { timeoutMs, signal, onTimeout })` (throws INVALID_TIMEOUT for a
   * timeout that is not a finite number >= 0), `byId(token)` for the endpoint a remote reply addresses.
   */
  readonly asks: AskRegistry;
  /** The one clock of this system (the same as `system.clock`). */
  readonly clock: Clock;
  /** Installs what `ctx.reminders` returns for an actor (the mesh's store-backed reminders). */
  setReminders(provider: (self: AnyRef) => Reminders): void;
  /**
   * Sends as `ref.tell(message)` does, except that an idle local actor handles it at once, on this stack, instead of
   * on the next microtask: for messages that arrive on an I/O callback (a request frame just read), where no handler
   * is running. Order and one-message-at-a-time hold; when anything is queued, running or past the dispatcher's
   * budget, the message is queued as by `tell`.
   */
  tellNow(ref: AnyRef, message: unknown): SendResult;
  /** The live actor at `path` on this node (`/user/a/b`), or undefined. */
  lookup(path: string): AnyRef | undefined;
  /** Registers how to reach actors on other nodes. Returns an unregister function. */
  addResolver(resolver: RemoteResolver): () => void;
  /**
   * Records a dead letter (counted, published, log-throttled). An asking sender fails at once: with `error` when
   * given (an ask made on another node gets it as an error reply), else with MAILBOX_FULL or ACTOR_STOPPED.
   */
  deadLetter(recipient: string, message: unknown, meta: Meta, reason: DeadLetterReason, error?: Error): void;
  /** The actor tree from the root, bounded by `limits` (see snapshot.ts). */
  snapshot(limits?: SnapshotLimits): TreeSnapshot;
}

// Module-private: the only way from a system to its kernel.
const kernels = new WeakMap<ActorSystem, KernelInternals>();

/** Binds a system to its kernel; the ActorSystem constructor does it once. Throws on a second binding. */
export function attachKernel(system: ActorSystem, kernel: KernelInternals): void {
  if (kernels.has(system)) throw new Error('this actor system already has a kernel');
  kernels.set(system, kernel);
}

/** The internal view of a system. Throws for anything that is not an ActorSystem. */
export function kernelOf(system: ActorSystem): KernelInternals {
  const kernel = kernels.get(system);
  if (kernel === undefined) throw new TypeError('kernelOf: not an ActorSystem');
  return kernel;
}
