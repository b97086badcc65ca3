/** The pub/sub API a node offers: `node.publish`, `node.subscribe`, and what a handler sees. */
import type { Metadata } from '../metadata.ts';

export interface PublishOptions {
  /** Headers carried with the message (NATS headers, Redis envelope fields); a traceparent rides here. @default {} */
  metadata?: Metadata;
  /** The content type to encode the message with: `application/json`, `application/msgpack`… @default 'application/json' */
  codec?: string;
  /** The CloudEvents `type` attribute. @default the topic */
  type?: string;
  /** The CloudEvents `id` attribute. @default a random UUID */
  id?: string;
}

/** What a subscription handler knows about the message it handles. */
export interface Delivery {
  /** The topic it was published on. */
  readonly topic: string;
  readonly metadata: Metadata;
  /** CloudEvents attributes: unique id, who published it, what it is, when (RFC 3339). */
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly time: string;
  readonly contentType: string;
  /** 1 on the first try; higher when a handler that threw is given the message again. */
  readonly attempt: number;
}

export type MessageHandler<T = unknown> = (message: T, delivery: Delivery) => void | Promise<void>;

export interface SubscribeOptions {
  /** Subscriptions in the same queue group (on any node) share the messages: each goes to one member. @default broadcast */
  queue?: string;
  /**
   * Tries a message gets when its handler throws: the subscription actor is restarted (with backoff) and the message
   * is queued again, until this many tries failed; then it is dead-lettered. @default 3
   */
  maxAttempts?: number;
  /** Messages waiting for the handler (the one it runs not counted); past it a delivery is refused (OVERLOADED) and counted as a dead letter. @default 10000 */
  capacity?: number;
}

/** A subscription of this node. */
export interface Subscription {
  readonly topic: string;
  readonly queue: string | undefined;
  /** Stops it: the back end stops delivering, the actor stops. Idempotent. */
  unsubscribe(): Promise<void>;
}

/**
 * A message that could not be handled, published on the dead-letter topic (`micro.deadletter` by default) as JSON.
 * The original body is `data` when it was decoded, else `data_base64`.
 */
export interface DeadLetter {
  readonly topic: string;
  /** Why: `handler failed` (tries used up) or `malformed` (could not be read). */
  readonly reason: 'handler failed' | 'malformed';
  /** The last error, or what is malformed. */
  readonly error: string;
  readonly attempts: number;
  readonly id: string | undefined;
  readonly source: string | undefined;
  readonly type: string | undefined;
  readonly contentType: string | undefined;
  readonly metadata: Metadata;
  readonly data?: unknown;
  readonly data_base64?: string;
}

/** A subscription declared in `defineService`: a handler (its message typed as the handler likes), or one with options. */
// biome-ignore lint/suspicious/noExplicitAny: a declared handler types its own message, as endpoint handlers do
export type ServiceSubscription = MessageHandler<any> | ({ handler: MessageHandler<any> } & SubscribeOptions);

/** Where dead letters go unless the broker options say otherwise. */
export const DEFAULT_DEAD_LETTER_TOPIC = 'micro.deadletter';
