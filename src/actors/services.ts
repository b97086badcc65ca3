import type { AskRegistry } from './ask.ts';
import type { Cell } from './cell.ts';
import type { Clock } from './clock.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { DeadLetterReason, EventStream } from './event-stream.ts';
import type { Logger } from './logger.ts';
import type { Meta } from './refs.ts';
import type { SupervisorStrategy } from './strategy.ts';
import type { ActorRef, AnyRef, Behavior, Reminders, SpawnOptions } from './types.ts';

/** Mailbox and run defaults of the actors of one system. */
export type SystemDefaults = Required<Pick<SpawnOptions, 'shutdownMs' | 'throughput'>> & {
  capacity: number;
  overflow: NonNullable<NonNullable<SpawnOptions['mailbox']>['overflow']>;
};

/** What an actor cell needs from its system: a narrow, kernel-internal view (the Kernel implements it). */
export interface SystemServices {
  readonly nodeId: string;
  readonly dispatcher: Dispatcher;
  readonly asks: AskRegistry;
  readonly events: EventStream;
  readonly log: Logger;
  /** Every timer of every actor runs on it. */
  readonly clock: Clock;
  readonly defaultStrategy: SupervisorStrategy;
  readonly defaults: SystemDefaults;
  nextIncarnation(): number;
  /**
   * Records a dead letter. An asking sender fails at once: with `error` when given (a reply endpoint on another
   * node gets it as an error reply too), else with MAILBOX_FULL or ACTOR_STOPPED by reason.
   */
  deadLetter(recipient: string, message: unknown, meta: Meta, reason: DeadLetterReason, error?: Error): void;
  spawnChild<C>(parent: Cell, behavior: Behavior<C>, options: SpawnOptions | undefined): ActorRef<C>;
  respawn(parent: Cell, previous: Cell): void;
  actorStopped(): void;
  /** The durable reminders of an actor, from the provider the mesh installed. */
  reminders(self: AnyRef): Reminders;
  onRootFailure(actor: string, error: unknown): void;
}
