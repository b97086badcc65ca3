import type { Logger } from './logger.ts';
import type { AnyRef, RestartType, StopReason } from './types.ts';

/** What a supervisor does about a failed child (OTP/Akka vocabulary). */
export const Directive = { Resume: 'resume', Restart: 'restart', Stop: 'stop', Escalate: 'escalate' } as const;
export type Directive = (typeof Directive)[keyof typeof Directive];

/** Where in its life the actor failed. */
export type FailurePhase = 'start' | 'receive' | 'restart' | 'stop';

/** A failure as its supervisor sees it: the original error and the actor where it first happened. */
export interface Failure {
  readonly error: unknown;
  /** The actor that first failed (differs from the child when the child escalated). */
  readonly origin: AnyRef;
  readonly phase: FailurePhase;
}

/** A supervised child as its supervisor's strategy sees it. */
export interface ChildInfo {
  readonly ref: AnyRef;
  readonly name: string;
  readonly restart: RestartType;
  readonly shutdownMs: number;
  /** Restarts so far. */
  readonly restarts: number;
  /** When it last (re)started, in the control's clock. */
  readonly startedAt: number;
}

/** The narrow view a strategy gets of the supervising actor. */
export interface SupervisionControl {
  readonly self: AnyRef;
  readonly log: Logger;
  now(): number;
  /** Children in start order. */
  children(): ChildInfo[];
  /** Keep the child's state, drop the failing message, go on. */
  resume(child: ChildInfo): void;
  /**
   * Restart these children with fresh state at the same address and mailbox: torn down in reverse order of
   * the list, then started in its order, after `delayMs` (messages meanwhile wait in their mailboxes).
   */
  restart(children: readonly ChildInfo[], options?: { delayMs?: number; reason?: unknown }): Promise<void> | undefined;
  stop(child: ChildInfo): void;
  /** Spawn a stopped child again at the same name (a new incarnation), e.g. a permanent child that exited. */
  respawn(child: ChildInfo): void;
  /** Stop all children in reverse start order, then fail self with `failure` (its own supervisor decides). */
  escalate(failure: Failure): void;
}

/** How an actor supervises its children. Implementations live in src/supervisor. */
export interface SupervisorStrategy {
  handleFailure(control: SupervisionControl, child: ChildInfo, failure: Failure): void;
  /** A child stopped (normally, or by a stop directive); permanent ones may be respawned. */
  handleStopped?(control: SupervisionControl, child: ChildInfo, reason: StopReason): void;
}

/** The kernel's fallback when no strategy is configured: stop the failed child and report it. */
export const stopOnFailure: SupervisorStrategy = {
  handleFailure(control, child) {
    control.stop(child);
  },
};
