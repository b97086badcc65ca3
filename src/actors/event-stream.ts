import type { FailurePhase, Directive } from './strategy.ts';
import type { StopReason } from './types.ts';

export const DeadLetterReason = {
  /** Sent to an actor that had stopped. */
  Stopped: 'stopped',
  /** Sent to an address that names nothing. */
  Unknown: 'unknown',
  /** Dropped by a full mailbox (drop-newest, drop-oldest). */
  Overflow: 'overflow',
  /** Refused by a full mailbox with the reject policy. */
  Rejected: 'rejected',
  /** Still queued when its actor stopped. */
  Unprocessed: 'unprocessed',
} as const;
export type DeadLetterReason = (typeof DeadLetterReason)[keyof typeof DeadLetterReason];

export type SystemEvent =
  | { type: 'dead-letter'; recipient: string; message: unknown; sender: string | undefined; reason: DeadLetterReason }
  | { type: 'actor-failed'; actor: string; error: unknown; phase: FailurePhase }
  | { type: 'actor-restarted'; actor: string; incarnation: number; restarts: number }
  | { type: 'actor-stopped'; actor: string; reason: StopReason }
  | { type: 'supervisor-decided'; supervisor: string; child: string; directive: Directive }
  | { type: 'forced-stop'; actor: string; afterMs: number }
  | { type: 'root-failure'; actor: string; error: unknown };

export type SystemEventType = SystemEvent['type'];
export type EventOf<T extends SystemEventType> = Extract<SystemEvent, { type: T }>;

/**
 * The system event stream: synchronous listeners per event type. Publishing with no listener costs one
 * map lookup, so dead letters and failures are cheap to report on hot paths.
 */
export class EventStream {
  readonly #listeners = new Map<SystemEventType, Set<(event: SystemEvent) => void>>();

  on<T extends SystemEventType>(type: T, listener: (event: EventOf<T>) => void): () => void {
    let set = this.#listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    const l = listener as (event: SystemEvent) => void;
    set.add(l);
    return () => set.delete(l);
  }

  has(type: SystemEventType): boolean {
    const set = this.#listeners.get(type);
    return set !== undefined && set.size > 0;
  }

  publish(event: SystemEvent): void {
    const set = this.#listeners.get(event.type);
    if (set === undefined) return;
    for (const l of set) {
      try {
        l(event);
      } catch {
        // a listener's bug must not break the sender
      }
    }
  }
}
