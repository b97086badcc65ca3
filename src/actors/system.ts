import { type Clock, processClock } from './clock.ts';
import type { EventStream } from './event-stream.ts';
import { attachKernel } from './internal.ts';
import { Kernel, type KernelStats } from './kernel.ts';
import { type Logger, silentLogger } from './logger.ts';
import { stopOnFailure, type SupervisorStrategy } from './strategy.ts';
import type { ActorRef, AnyRef, Behavior, MailboxOptions, SerializedRef, SpawnOptions, StopReason } from './types.ts';

export type { RemoteResolver } from './kernel.ts';

export interface ActorSystemOptions {
  /** This node's id, the host part of every address. @default a random `node-xxxxxx` */
  nodeId?: string;
  /** @default silentLogger */
  logger?: Logger;
  /** Strategy of actors spawned without `supervision`, the /user guardian included. @default stop on failure (the supervisor module's createActorSystem passes one_for_one) */
  defaultStrategy?: SupervisorStrategy;
  /** How the /user guardian supervises top-level actors (a mesh node restarts them with backoff, never escalating). @default defaultStrategy */
  guardianStrategy?: SupervisorStrategy;
  /** Default mailbox of every actor. @default { capacity: 10000, overflow: 'drop-newest' } */
  mailbox?: MailboxOptions;
  /** Messages an actor handles before yielding. @default 300 */
  throughput?: number;
  /** @default 5000 */
  shutdownMs?: number;
  /** Dead letters logged per second at most; the rest are counted and summarised. @default 10 */
  deadLetterLogPerSecond?: number;
  /**
   * Time and timers of the whole system: ask timeouts, actor timers, shutdown deadlines, delayed restarts, restart
   * intensity and backoff. Tests pass `createSimulatedClock()` and advance it instead of sleeping.
   * @default the process clock (`performance.now`; its timers keep the process alive while pending, as `setTimeout` does)
   */
  clock?: Clock;
}

export function defaultActorSystemOptions(): Required<Omit<ActorSystemOptions, 'nodeId' | 'defaultStrategy' | 'guardianStrategy'>> {
  return {
    logger: silentLogger,
    mailbox: { capacity: 10_000, overflow: 'drop-newest' },
    throughput: 300,
    shutdownMs: 5000,
    deadLetterLogPerSecond: 10,
    clock: processClock,
  };
}

export type ActorSystemStats = KernelStats;

/**
 * Owns a tree of actors rooted at the guardians `/user` and `/system`. This is the whole public surface; the
 * kernel behind it (dispatcher, asks, dead letters, resolvers) is internal.
 * @example
 * const system = createActorSystem();
 * const counter = system.spawn(Counter, { name: 'counter' });
 * counter.tell({ type: 'inc' });
 * const n = await counter.ask({ type: 'get' });
 */
export class ActorSystem {
  readonly nodeId: string;
  readonly events: EventStream;
  readonly log: Logger;
  readonly #kernel: Kernel;

  constructor(options: ActorSystemOptions = {}) {
    const d = defaultActorSystemOptions();
    this.#kernel = new Kernel({
      nodeId: options.nodeId ?? `node-${Math.random().toString(36).slice(2, 8)}`,
      log: options.logger ?? d.logger,
      clock: options.clock ?? d.clock,
      defaultStrategy: options.defaultStrategy ?? stopOnFailure,
      guardianStrategy: options.guardianStrategy ?? options.defaultStrategy ?? stopOnFailure,
      defaults: {
        capacity: options.mailbox?.capacity ?? d.mailbox.capacity ?? 10_000,
        overflow: options.mailbox?.overflow ?? d.mailbox.overflow ?? 'drop-newest',
        throughput: options.throughput ?? d.throughput,
        shutdownMs: options.shutdownMs ?? d.shutdownMs,
      },
      deadLetterLogPerSecond: options.deadLetterLogPerSecond ?? d.deadLetterLogPerSecond,
    });
    this.nodeId = this.#kernel.nodeId;
    this.events = this.#kernel.events;
    this.log = this.#kernel.log;
    attachKernel(this, this.#kernel);
  }

  /** The clock every timer of this system runs on. */
  get clock(): Clock {
    return this.#kernel.clock;
  }

  /** Spawns a top-level actor under `/user`. */
  spawn<M>(behavior: Behavior<M>, options?: SpawnOptions): ActorRef<M> {
    return this.#kernel.spawnChild(this.#kernel.userGuardian, behavior, options);
  }

  /** Spawns an infrastructure actor under `/system` (mesh internals, watchers). */
  spawnSystem<M>(behavior: Behavior<M>, options?: SpawnOptions): ActorRef<M> {
    return this.#kernel.spawnChild(this.#kernel.systemGuardian, behavior, options);
  }

  /** Stops an actor (queued messages become dead letters), or with `drain` after handling what is queued. */
  stop(ref: AnyRef, options: { drain?: boolean } = {}): Promise<void> {
    return this.#kernel.stop(ref, options.drain === true);
  }

  /**
   * A ref for an address or a serialised ref. `mesh://node/user/a` names whatever lives there,
   * `…#7` exactly incarnation 7, and a serialised ref (with `uid`) follows that actor across restarts.
   * Anything that names nothing gives a ref whose messages are dead letters.
   */
  ref<M = unknown>(target: string | SerializedRef): ActorRef<M> {
    return this.#kernel.ref<M>(target);
  }

  stats(): ActorSystemStats {
    return this.#kernel.stats();
  }

  /** Stops `/user` then `/system` (each in reverse start order) and fails pending asks. */
  terminate(reason: StopReason = { type: 'normal' }): Promise<void> {
    return this.#kernel.terminate(reason);
  }

  /** Resolves with the reason once the system has stopped. */
  get whenTerminated(): Promise<StopReason> {
    return this.#kernel.whenTerminated;
  }

  /** True once `terminate` has begun. */
  get terminated(): boolean {
    return this.#kernel.terminating;
  }

  /** Which address a local ref has (for tests and tools). */
  addressOf(ref: AnyRef): string {
    return this.#kernel.addressOf(ref);
  }
}
