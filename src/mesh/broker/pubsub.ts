/**
 * A node's pub/sub: `publish` checks the topic, runs the `publish` middleware chain, encodes and hands the message
 * to the broker; `subscribe` spawns a supervised actor per subscription and subscribes the broker on its behalf.
 * Dead letters (tries used up, malformed messages) are counted as the actor system's dead letters, logged, and
 * published as JSON on the dead-letter topic.
 */
import type { ActorRef, ActorSystem, Logger } from '../../actors/index.ts';
import { kernelOf } from '../../actors/internal.ts';
import { createSupervisor, type SupervisorMessage } from '../../supervisor/index.ts';
import type { Codecs } from '../codec/codecs.ts';
import { ContentType } from '../codec/codec.ts';
import { MicroError } from '../errors.ts';
import { EMPTY_METADATA, type Metadata } from '../metadata.ts';
import { compose, type Middleware, type OutboundPublish, type PublishNext } from '../middleware/middleware.ts';
import type { DeadLetter, MessageHandler, PublishOptions, SubscribeOptions, Subscription } from './api.ts';
import { DEFAULT_DEAD_LETTER_TOPIC } from './api.ts';
import type { Broker, BrokerMessage, BrokerSubscription } from './broker.ts';
import { EventStamps } from './cloudevents.ts';
import { type Batch, Inbox, subscriptionBehavior } from './subscription.ts';
import { checkPattern, checkQueue, checkTopic } from './topic.ts';

export interface PubSubDeps {
  readonly system: ActorSystem;
  readonly broker: Broker;
  readonly codecs: Codecs;
  readonly log: Logger;
  readonly middleware: readonly Middleware[];
  /** Restart settings of the subscriptions' supervisor. */
  readonly supervision: { maxRestarts: number; withinMs: number; backoff: { minMs: number; maxMs: number } };
  /** @default 'micro.deadletter' */
  readonly deadLetterTopic?: string;
}

interface Outgoing extends OutboundPublish {
  readonly options: PublishOptions;
}

const METADATA_KEY = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects
const BAD_VALUE = /[\u0000-\u001f\u007f]/;

/** Metadata every back end can carry as headers: token keys (not `ce-*` or content-type), values without control characters. */
export function checkMetadata(metadata: Metadata | undefined): Metadata {
  if (metadata === undefined) return EMPTY_METADATA;
  for (const [k, v] of Object.entries(metadata)) {
    const lower = k.toLowerCase();
    if (!METADATA_KEY.test(k) || lower.startsWith('ce-') || lower === 'content-type') {
      throw new MicroError('BAD_REQUEST', `metadata key ${JSON.stringify(k)}: keys are header tokens (A-Z a-z 0-9 and !#$%&'*+.^_\`|~-), not ce-* or content-type`);
    }
    if (typeof v !== 'string' || BAD_VALUE.test(v)) throw new MicroError('BAD_REQUEST', `metadata ${JSON.stringify(k)}: values are strings without control characters`);
  }
  return metadata;
}

export class PubSub {
  readonly #deps: PubSubDeps;
  readonly #publish: PublishNext;
  readonly #subs = new Set<() => Promise<void>>();
  #supervisor: Promise<ActorRef<SupervisorMessage>> | undefined;
  #next = 0;
  #closed = false;
  /** Ids and times of the messages published here. */
  readonly #stamps: EventStamps;
  /** Topics already checked (bounded). */
  readonly #okTopics = new Set<string>();
  /** Messages dead-lettered by this node's subscriptions. */
  deadLetters = 0;

  constructor(deps: PubSubDeps) {
    this.#deps = deps;
    this.#stamps = new EventStamps(`micromesh://${deps.system.nodeId}`);
    this.#publish = compose(deps.middleware, 'publish', (out) => this.#send(out as Outgoing));
  }

  get broker(): Broker {
    return this.#deps.broker;
  }

  publish(topic: string, message: unknown, options: PublishOptions = {}): Promise<void> {
    try {
      if (this.#closed) throw new MicroError('UNAVAILABLE', 'node is stopping');
      if (!this.#okTopics.has(topic)) {
        checkTopic(topic);
        if (this.#okTopics.size >= 1024) this.#okTopics.clear();
        this.#okTopics.add(topic);
      }
      const out: Outgoing = { topic, message, metadata: checkMetadata(options.metadata), options };
      return this.#publish(out);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #send(out: Outgoing): Promise<void> {
    const { options } = out;
    const contentType = options.codec ?? ContentType.JSON;
    const body = this.#deps.codecs.get(contentType).encode(out.message);
    const m: BrokerMessage = {
      topic: out.topic,
      body,
      contentType,
      metadata: out.metadata === options.metadata ? out.metadata : checkMetadata(out.metadata),
      id: options.id ?? this.#stamps.id(),
      source: this.#stamps.source,
      type: options.type ?? out.topic,
      time: this.#stamps.time(),
    };
    return this.#deps.broker.publish(m);
  }

  async subscribe<T = unknown>(topic: string, handler: MessageHandler<T>, options: SubscribeOptions = {}): Promise<Subscription> {
    if (this.#closed) throw new MicroError('UNAVAILABLE', 'node is stopping');
    checkPattern(topic);
    const queue = checkQueue(options.queue);
    if (typeof handler !== 'function') throw new MicroError('BAD_REQUEST', `subscription to ${topic}: the handler must be a function`);
    const maxAttempts = options.maxAttempts ?? 3;
    if (!(Number.isInteger(maxAttempts) && maxAttempts >= 1)) throw new MicroError('BAD_REQUEST', `subscription to ${topic}: maxAttempts must be an integer >= 1`);
    const id = `sub-${++this.#next}`;
    const inbox = new Inbox(options.capacity ?? 10_000, `subscription to ${topic} on ${this.#deps.system.nodeId}`);
    const behavior = subscriptionBehavior({
      codecs: this.#deps.codecs,
      maxAttempts,
      inbox,
      handler: handler as MessageHandler,
      chain: (terminal) => compose(this.#deps.middleware, 'subscribe', terminal),
      deadLetter: (queued, reason, error, decoded) => this.#deadLetter(ref.address, queued.message, queued.attempts, reason, error.detail, decoded),
    });
    const supervisor = await this.#supervisorRef();
    // The inbox bounds the messages; the mailbox holds batches of them (and retries), so it is not the bound.
    const ref = (await supervisor.ask({ type: 'start-child', spec: { id, start: behavior, mailbox: { capacity: 1_000_000, overflow: 'reject' } } })) as ActorRef<Batch>;
    inbox.ref = ref;
    let sub: BrokerSubscription;
    try {
      sub = await this.#deps.broker.subscribe(topic, { queue }, {
        deliver: (message) => {
          try {
            inbox.push(message);
          } catch (err) {
            kernelOf(this.#deps.system).deadLetter(ref.address, message, undefined, 'overflow');
            throw err;
          }
        },
        malformed: (t, reason, raw) => this.#deadLetter(ref.address, { topic: t, body: raw }, 0, 'malformed', reason, undefined),
      });
    } catch (err) {
      await supervisor.ask({ type: 'stop-child', id }).catch(() => {});
      throw err;
    }
    let done: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      done ??= (async () => {
        this.#subs.delete(stop);
        await sub.unsubscribe().catch((err: unknown) => this.#deps.log.warn({ topic, err }, 'unsubscribe failed'));
        await supervisor.ask({ type: 'stop-child', id }).catch(() => {});
      })();
      return done;
    };
    this.#subs.add(stop);
    return { topic, queue, unsubscribe: stop };
  }

  #supervisorRef(): Promise<ActorRef<SupervisorMessage>> {
    this.#supervisor ??= Promise.resolve(this.#deps.system.spawn(createSupervisor({ strategy: 'one_for_one', ...this.#deps.supervision, children: [] }), { name: 'subscriptions' }));
    return this.#supervisor;
  }

  #deadLetter(recipient: string, m: Partial<BrokerMessage> & { topic: string; body: Uint8Array }, attempts: number, reason: DeadLetter['reason'], error: string, decoded: { value: unknown } | undefined): void {
    this.deadLetters++;
    kernelOf(this.#deps.system).deadLetter(recipient, m, undefined, 'rejected');
    this.#deps.log.warn({ topic: m.topic, id: m.id, reason, error, attempts }, 'pub/sub message dead-lettered');
    const topic = this.#deps.deadLetterTopic ?? DEFAULT_DEAD_LETTER_TOPIC;
    if (m.topic === topic) return;
    const letter: DeadLetter = {
      topic: m.topic,
      reason,
      error,
      attempts,
      id: m.id,
      source: m.source,
      type: m.type,
      contentType: m.contentType,
      metadata: m.metadata ?? EMPTY_METADATA,
      ...(decoded === undefined ? { data_base64: Buffer.from(m.body).toString('base64') } : { data: decoded.value }),
    };
    this.publish(topic, letter).catch((err: unknown) => this.#deps.log.warn({ topic, err }, 'dead letter could not be published'));
  }

  /** Unsubscribes everything and stops the subscriptions' actors. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#subs].map((stop) => stop()));
  }
}
