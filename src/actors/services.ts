import type { AskRegistry } from './ask.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { DeadLetterReason, EventStream } from './event-stream.ts';
import type { Logger } from './logger.ts';
import type { Meta } from './refs.ts';
import type { SupervisorStrategy } from './strategy.ts';
import type { ActorRef, Behavior, SpawnOptions } from './types.ts';

/** What an actor cell needs from its system: a narrow, kernel-internal view. */
export interface SystemServices {
  readonly nodeId: string;
  readonly dispatcher: Dispatcher;
  readonly asks: AskRegistry;
  readonly events: EventStream;
  readonly log: Logger;
  readonly defaultStrategy: SupervisorStrategy;
  readonly defaults: Required<Pick<SpawnOptions, 'shutdownMs' | 'throughput'>> & { capacity: number; overflow: NonNullable<NonNullable<SpawnOptions['mailbox']>['overflow']> };
  now(): number;
  nextIncarnation(): number;
  deadLetter(recipient: string, message: unknown, meta: Meta, reason: DeadLetterReason): void;
  spawnChild<C>(parent: import('./cell.ts').Cell, behavior: Behavior<C>, options: SpawnOptions | undefined): ActorRef<C>;
  respawn(parent: import('./cell.ts').Cell, previous: import('./cell.ts').Cell): void;
  actorStopped(): void;
  onRootFailure(actor: string, error: unknown): void;
}
