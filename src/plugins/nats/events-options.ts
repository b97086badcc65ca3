/** Settings of the JetStream events back end, apart from its implementation so that declarations never load `nats`. */
import type { Clock } from '../../actors/clock.ts';

export interface JetStreamEventsOptions {
  /** Name prefix of the streams micromesh creates. @default 'EVENTS_' */
  streamPrefix?: string;
  /** Publishes with an id seen within this window are stored once (the stream's duplicate window). @default 120000 */
  duplicateWindowMs?: number;
  /** Storage of the streams micromesh creates. @default 'file' */
  storage?: 'file' | 'memory';
  /** How long a publish waits for the stream's acknowledgement. @default 5000 */
  publishTimeoutMs?: number;
  /** How long a consumer's read waits for events before it asks again. @default 1000 */
  pollMs?: number;
  /** The shared connection's settings (see `NatsConnectionOptions`), when this back end opens it. @default {} */
  connectTimeoutMs?: number;
  reconnectTimeWaitMs?: number;
  /** Times publish acknowledgements, consumer polls and the waits and holds of keyed events. @default processClock */
  clock?: Clock;
}
