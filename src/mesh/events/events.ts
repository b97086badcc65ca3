/**
 * The events concern: durable streams with offsets and acks (JetStream's model). A publish is stored and gets a
 * sequence; consumers read a topic as a named group, each event of the topic going to one member of each group, and
 * settle every event: `ack` (done, never delivered again to that group), `nak` (deliver again, after a delay),
 * `term` (poison: dead-letter now). An event not settled within `ackWaitMs` is delivered again, up to `maxDeliver`
 * times, then dead-lettered. While a handler runs its event is kept alive (`working()`), so a slow handler is never
 * redelivered to another member meanwhile. Delivery is at least once: handlers must tolerate duplicates.
 *
 * Two layers: an {@link EventsBackend} (memory, file, JetStream, Redis Streams) stores bytes and tracks groups;
 * `createEvents` puts codecs, middleware, supervised consumer actors, per-key order and dead letters on top, the
 * same for every back end.
 */
import type { Metadata } from '../metadata.ts';

/** Where a new group starts reading. An existing group always resumes where it is. */
export type StartFrom = 'first' | 'last' | number | Date;

/** Options of {@link Events.publish}. */
export interface PublishEventOptions {
  /** Orders events: within a group, events with the same key are handled one at a time, in order. @default undefined */
  readonly key?: string;
  /** The event's id (CloudEvents `id`); a publish with an id seen recently is stored once (a retried publish). @default a random UUID */
  readonly id?: string;
  /** The CloudEvents `type`. @default the topic */
  readonly type?: string;
  /** Headers stored with the event; `traceparent` rides here. @default {} */
  readonly metadata?: Metadata;
  /** The codec to encode with. @default 'application/json' */
  readonly contentType?: string;
}

/** Options of {@link Events.consume}. */
export interface ConsumeOptions {
  /** The group: each event goes to one member of each group. Letters, digits, `-` and `_`. */
  readonly group: string;
  /** Where a new group starts: the first stored event, only events after the last one, a sequence, or a time. @default 'first' */
  readonly from?: StartFrom;
  /** `auto` acks when the handler returns and naks when it throws; `manual` leaves it to the handler. @default 'auto' */
  readonly ack?: 'auto' | 'manual';
  /** How long a delivered event may stay unsettled (and not `working()`) before it is delivered again. @default 30000 */
  readonly ackWaitMs?: number;
  /** Deliveries of one event before it is dead-lettered. @default 5 */
  readonly maxDeliver?: number;
  /** The topic dead-lettered events are published to. @default `dead-letter.<group>` */
  readonly deadLetter?: string;
  /** Handlers running at once in this member (events with one key still run one at a time). @default 1 */
  readonly concurrency?: number;
  /** Delay of the redelivery after a handler throws, doubled per delivery. @default 1000 */
  readonly retryDelayMs?: number;
  /** Deliveries this member holds at most (running and waiting): small spreads a group's events over its members, large is faster. @default max(2 × concurrency, 64) */
  readonly prefetch?: number;
}

/** One delivery of an event, as a handler gets it. */
export interface EventDelivery<T = unknown> {
  readonly topic: string;
  readonly sequence: number;
  readonly id: string;
  readonly key: string | undefined;
  /** When it was published. */
  readonly time: Date;
  readonly metadata: Metadata;
  /** 1 the first time this group gets the event. */
  readonly deliveryCount: number;
  readonly data: T;
  /** Done: never delivered to this group again. */
  ack(): Promise<void>;
  /** Not done: deliver again after `delayMs` (default 0). */
  nak(options?: { delayMs?: number }): Promise<void>;
  /** Poison: dead-letter it now with `reason`, without burning its retries. */
  term(reason?: string): Promise<void>;
  /** Still working: restarts the ack wait. Sent automatically while the handler runs. */
  working(): Promise<void>;
}

export type EventHandler<T = unknown> = (event: EventDelivery<T>) => unknown;

/** A running consumer. */
export interface EventConsumer {
  readonly topic: string;
  readonly group: string;
  /** Deliveries handled so far: how many succeeded, failed, and were dead-lettered. */
  stats(): { handled: number; failed: number; deadLettered: number };
  /** Stops taking events; lets handlers in flight finish. Unsettled events are delivered again later. */
  stop(): Promise<void>;
}

/** Event streams with consumer groups, acks and dead letters: `node.events`. */
export interface Events {
  /** The back end's name: `memory`, `file`, `jetstream`, `redis`. */
  readonly name: string;
  /**
   * Stores an event; resolves its sequence once it is durable. A value the codec cannot encode, or a bad topic,
   * is BAD_REQUEST and nothing is stored; a back end that cannot be reached is UNAVAILABLE (503).
   * @example
   * const seq = await node.events.publish('orders.created', { id: 7 }, { key: 'customer-3', id: 'order-7' });
   */
  publish(topic: string, event: unknown, options?: PublishEventOptions): Promise<number>;
  /**
   * Consumes `topic` (`*` and `>` wildcards where the back end allows them) as a member of `options.group`, in a
   * supervised actor of the node.
   * @example
   * const consumer = await node.events.consume('orders.created', { group: 'billing' }, async (e) => bill(e.data));
   */
  consume<T = unknown>(topic: string, options: ConsumeOptions, handler: EventHandler<T>): Promise<EventConsumer>;
  /** Stops every consumer, then closes the back end (when the node made it). */
  close(): Promise<void>;
}

/** An event on its way into a back end: already encoded. */
export interface OutgoingEvent {
  readonly topic: string;
  readonly id: string;
  /** True when the publisher gave the id: the back end stores a publish with an id it saw recently only once. */
  readonly dedupe: boolean;
  readonly type: string;
  readonly source: string;
  readonly key: string | undefined;
  /** Epoch ms. */
  readonly time: number;
  readonly contentType: string;
  readonly metadata: Metadata;
  readonly data: Uint8Array;
}

/** An event as a back end delivers it, with its settling verbs. */
export interface StoredDelivery {
  readonly topic: string;
  readonly sequence: number;
  readonly id: string;
  readonly key: string | undefined;
  readonly time: number;
  readonly contentType: string;
  readonly metadata: Metadata;
  readonly data: Uint8Array;
  /** Set when the back end could not read the stored event (a foreign publisher's bad message): it is dead-lettered. */
  readonly malformed?: string;
  /** The data already decoded, when the back end had to parse it anyway (structured CloudEvents JSON). */
  readonly decoded?: { readonly value: unknown };
  readonly deliveryCount: number;
  /** Settles it; with `confirm` (the default) resolves once the back end confirmed, else once sent. */
  ack(confirm?: boolean): Promise<void>;
  nak(delayMs: number): Promise<void>;
  /** Stop delivering it (the caller dead-lettered it already). */
  term(): Promise<void>;
  working(): Promise<void>;
}

/** What a group member asks its back end for. */
export interface GroupSettings {
  readonly group: string;
  readonly from: StartFrom;
  readonly ackWaitMs: number;
  /** Deliveries the member holds at most: how many a back end may send ahead. */
  readonly prefetch: number;
  /** This member's stable name (`<node id>-<n>`, n counting the node's consumers), for back ends that track members. */
  readonly member: string;
}

/** One member's feed of deliveries. */
export interface EventSource {
  /**
   * Up to `max` deliveries, waiting a while for at least one (resolving `[]` when none came). Rejects when the back
   * end failed: the consumer actor then restarts and opens a new source.
   */
  next(max: number): Promise<StoredDelivery[]>;
  /**
   * For back ends whose group members may live in different processes: `undefined` when `delivery` may run now, or a
   * promise that resolves once the group settled the event published before it with its key (rejecting when the back
   * end failed). Back ends whose members share one process order keys themselves and leave it out.
   */
  turn?(delivery: StoredDelivery): Promise<void> | undefined;
  /**
   * Deliveries abandoned by other members, taken over without reading new ones. A member whose room is all taken by
   * deliveries waiting for their turn calls it, so an event held by a member that died is not waited for forever.
   */
  reclaim?(max: number): Promise<StoredDelivery[]>;
  close(): Promise<void>;
}

/** A store of event streams: what a plugin's `events` factory makes. */
export interface EventsBackend {
  readonly name: string;
  /** Whether consuming takes `*` and `>` wildcards. */
  readonly wildcards: boolean;
  /** Stores an event; resolves its sequence once durable. An event whose `id` was stored recently resolves the first sequence. */
  append(event: OutgoingEvent): Promise<number>;
  /** Joins `topic`'s group (creating it at `settings.from` when new). */
  open(topic: string, settings: GroupSettings): Promise<EventSource>;
  close(): Promise<void>;
}
