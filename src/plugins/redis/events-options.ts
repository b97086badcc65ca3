/** Settings of the Redis Streams events back end, apart from its implementation so that declarations never load `ioredis`. */
import type { Clock } from '../../actors/clock.ts';

export interface RedisEventsOptions {
  /** Stream keys are `<prefix>:<topic>`. @default 'micro:events' */
  prefix?: string;
  /** Publishes with an id seen within this window are stored once. @default 120000 */
  duplicateWindowMs?: number;
  /** How long a consumer's read blocks waiting for entries, and how often it looks for abandoned ones. @default 1000 */
  pollMs?: number;
  /** Times the waits of keyed events for their turn and the looks for abandoned entries. @default processClock */
  clock?: Clock;
}
