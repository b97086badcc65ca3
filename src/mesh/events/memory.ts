/** `memory`: event streams in this process only, gone on close. For tests, and for nodes that share one instance. */
import { type Clock, systemClock } from '../../actors/clock.ts';
import type { EventsBackend } from './events.ts';
import { createLogEngine } from './log-engine.ts';

export interface MemoryEventsOptions {
  /** Timers of ack waits and redeliveries. @default systemClock */
  clock?: Clock;
  /** How long a consumer's read waits for events before it asks again. @default 1000 */
  pollMs?: number;
}

/**
 * @example
 * const node = await createNode({ events: createMemoryEvents() });
 */
export function createMemoryEvents(options: MemoryEventsOptions = {}): EventsBackend {
  return createLogEngine({ name: 'memory', clock: options.clock ?? systemClock, now: Date.now, pollMs: options.pollMs ?? 1000 });
}
