/**
 * `node.events`: the layer every back end shares. Publishing checks the topic, encodes with the node's codecs and
 * passes through the middleware `publish` chain before the back end stores it; consuming checks the topic and group
 * and starts a supervised consumer actor whose deliveries pass through the `subscribe` chain.
 */
import { randomUUID } from 'node:crypto';
import type { ActorRef, ActorSystem, Logger } from '../../actors/index.ts';
import type { Clock } from '../../actors/clock.ts';
import { fromFactory } from '../../actors/behavior.ts';
import { createSupervisor, type SupervisorMessage } from '../../supervisor/index.ts';
import type { Codecs } from '../codec/codecs.ts';
import { MicroError } from '../errors.ts';
import { EMPTY_METADATA } from '../metadata.ts';
import { compose, hasHook, type InboundDelivery, type Middleware, type OutboundPublish } from '../middleware/middleware.ts';
import { RESILIENT_EVENTS } from './resilience.ts';
import { ConsumerActor, type ConsumerPlan } from './consumer.ts';
import type { ConsumeOptions, EventConsumer, EventDelivery, EventHandler, Events, EventsBackend, PublishEventOptions } from './events.ts';
import { checkGroup, checkTopic } from './topic.ts';

export interface CreateEventsOptions {
  readonly system: ActorSystem;
  readonly codecs: Codecs;
  readonly clock: Clock;
  readonly log: Logger;
  /** Middleware whose `publish` and `subscribe` hooks wrap events. @default [] */
  readonly middleware?: readonly Middleware[];
  /** Bodies of at least this many bytes are decoded in the codecs' worker pool. @default 262144 */
  readonly offloadThresholdBytes?: number;
  /** Whether closing closes the back end. @default true */
  readonly ownsBackend?: boolean;
}

/** Past the child's default shutdown time (5 s), stop() stops waiting for its handlers. */
const STOP_WAIT_MS = 6000;

const RESULT: unique symbol = Symbol('micromesh.events.result');
type Publish = OutboundPublish & { [RESULT]: { sequence?: number; options: PublishEventOptions } };

export function defaultConsumeOptions() {
  return { from: 'first' as const, ack: 'auto' as const, ackWaitMs: 30_000, maxDeliver: 5, concurrency: 1, retryDelayMs: 1000 };
}

function positive(name: string, value: number, integer: boolean): number {
  if (!(Number.isFinite(value) && value > 0 && (!integer || Number.isInteger(value)))) {
    throw new MicroError('BAD_REQUEST', `consume option ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`);
  }
  return value;
}

export function planConsumer(topic: string, options: ConsumeOptions, member: string, wildcards: boolean): ConsumerPlan {
  checkTopic(topic, wildcards);
  const group = checkGroup(options?.group);
  const o = { ...defaultConsumeOptions(), ...options };
  const from = o.from;
  if (!(from === 'first' || from === 'last' || (typeof from === 'number' && Number.isInteger(from) && from >= 0) || (from instanceof Date && !Number.isNaN(from.getTime())))) {
    throw new MicroError('BAD_REQUEST', `consume option from must be 'first', 'last', a sequence or a Date, got ${String(from)}`);
  }
  if (o.ack !== 'auto' && o.ack !== 'manual') throw new MicroError('BAD_REQUEST', `consume option ack must be 'auto' or 'manual'`);
  const concurrency = positive('concurrency', o.concurrency, true);
  const prefetch = positive('prefetch', o.prefetch ?? Math.max(concurrency * 2, 64), true);
  return {
    topic,
    settings: { group, from, ackWaitMs: positive('ackWaitMs', o.ackWaitMs, false), member, prefetch },
    manual: o.ack === 'manual',
    maxDeliver: positive('maxDeliver', o.maxDeliver, true),
    deadLetter: checkTopic(o.deadLetter ?? `dead-letter.${group}`, false),
    concurrency,
    retryDelayMs: o.retryDelayMs,
    prefetch,
  };
}

class MeshEvents implements Events {
  readonly #backend: EventsBackend;
  readonly #o: CreateEventsOptions;
  readonly #publish: (p: OutboundPublish) => Promise<void>;
  readonly #subscribe: ReturnType<typeof compose<'subscribe'>>;
  readonly #source: string;
  readonly #consumers = new Set<{ stop(): Promise<void> }>();
  readonly #withMiddleware: boolean;
  readonly #offloadBytes: number;
  #supervisor: ActorRef<SupervisorMessage> | undefined;
  #count = 0;
  #closed = false;

  constructor(backend: EventsBackend, options: CreateEventsOptions) {
    this.#backend = backend;
    this.#o = options;
    this.#source = `micromesh://${options.system.nodeId}`;
    const middleware = options.middleware ?? [];
    this.#publish = compose(middleware, 'publish', (p) => this.#store(p as Publish));
    this.#withMiddleware = hasHook(middleware, 'subscribe');
    this.#offloadBytes = options.offloadThresholdBytes ?? 262_144;
    this.#subscribe = compose(middleware, 'subscribe', (d) => (d as InboundDelivery & { [RESULT]: () => Promise<void> })[RESULT]());
  }

  get name(): string {
    return this.#backend.name;
  }

  async publish(topic: string, event: unknown, options: PublishEventOptions = {}): Promise<number> {
    if (this.#closed) throw new MicroError('UNAVAILABLE', 'events: closed');
    checkTopic(topic, false);
    if (options.key !== undefined && typeof options.key !== 'string') throw new MicroError('BAD_REQUEST', 'publish option key must be a string');
    if (options.id !== undefined && (typeof options.id !== 'string' || options.id.length === 0)) throw new MicroError('BAD_REQUEST', 'publish option id must be a non-empty string');
    const result: Publish[typeof RESULT] = { options };
    const input: Publish = { topic, message: event, metadata: options.metadata ?? EMPTY_METADATA, [RESULT]: result };
    await this.#publish(input);
    return result.sequence as number;
  }

  async #store(p: Publish): Promise<void> {
    const { options } = p[RESULT];
    const contentType = options.contentType ?? 'application/json';
    const data = await this.#o.codecs.encodeAsync(contentType, p.message);
    p[RESULT].sequence = await this.#backend.append({
      topic: p.topic,
      id: options.id ?? randomUUID(),
      dedupe: options.id !== undefined,
      type: options.type ?? p.topic,
      source: this.#source,
      key: options.key,
      time: Date.now(),
      contentType,
      metadata: p.metadata,
      data,
    });
  }

  async consume<T>(topic: string, options: ConsumeOptions, handler: EventHandler<T>): Promise<EventConsumer> {
    if (this.#closed) throw new MicroError('UNAVAILABLE', 'events: closed');
    if (typeof handler !== 'function') throw new MicroError('BAD_REQUEST', 'consume needs a handler function');
    // The member name is stable across restarts of the actor and of the process (consumers made in the same order).
    const n = ++this.#count;
    const plan = planConsumer(topic, options, `${this.#o.system.nodeId}-${n}`, this.#backend.wildcards);
    const stats = { handled: 0, failed: 0, deadLettered: 0 };
    let started!: (err?: unknown) => void;
    const ready = new Promise<void>((resolve, reject) => {
      started = (err) => (err === undefined ? resolve() : reject(err));
    });
    let stopped!: () => void;
    const finished = new Promise<void>((resolve) => (stopped = resolve));
    const deps = {
      backend: this.#backend,
      clock: this.#o.clock,
      log: this.#o.log,
      source: this.#source,
      decode: (contentType: string, data: Uint8Array) => (data.length < this.#offloadBytes ? this.#o.codecs.get(contentType).decode(data) : this.#o.codecs.decodeAsync(contentType, data)),
      deliver: this.#withMiddleware
        ? (delivery: InboundDelivery, event: EventDelivery) => this.#subscribe({ ...delivery, [RESULT]: async () => void (await handler(event as EventDelivery<T>)) } as InboundDelivery)
        : (_delivery: InboundDelivery, event: EventDelivery) => handler(event as EventDelivery<T>),
      stats,
      lastErrors: new Map<number, string>(),
      started: (err?: unknown) => {
        started(err);
        deps.started = () => {};
      },
      stopped: () => {},
    };
    const id = `consumer-${plan.settings.group}-${n}`;
    const supervisor = (this.#supervisor ??= this.#o.system.spawn(createSupervisor({ strategy: 'one_for_one', ...RESILIENT_EVENTS, children: [] }), { name: 'events' }));
    await supervisor.ask({ type: 'start-child', spec: { id, start: fromFactory(() => new ConsumerActor(plan, deps)) } });
    let stopping: Promise<void> | undefined;
    const consumer = {
      topic,
      group: plan.settings.group,
      stats: () => ({ ...stats }),
      stop: (): Promise<void> => {
        stopping ??= (async () => {
          this.#consumers.delete(consumer);
          deps.stopped = stopped;
          // The actor's stop lets its running handlers finish (bounded by the child's shutdown time).
          if (!(await supervisor.ask({ type: 'stop-child', id }).catch(() => false))) return;
          let timer: ReturnType<typeof setTimeout> | undefined;
          await Promise.race([finished, new Promise((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS).unref()))]);
          clearTimeout(timer);
        })();
        return stopping;
      },
    };
    this.#consumers.add(consumer);
    try {
      await ready;
    } catch (err) {
      await consumer.stop();
      throw err instanceof MicroError ? err : new MicroError('UNAVAILABLE', `events: cannot consume ${topic}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    return consumer;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#consumers].map((c) => c.stop()));
    if (this.#supervisor !== undefined) await this.#o.system.stop(this.#supervisor).catch(() => {});
    if (this.#o.ownsBackend !== false) await this.#backend.close();
  }
}

/**
 * Events on `backend` for one node (or one actor system).
 * @example
 * const events = createEvents(createMemoryEvents(), { system, codecs, clock: systemClock, log });
 */
export function createEvents(backend: EventsBackend, options: CreateEventsOptions): Events {
  return new MeshEvents(backend, options);
}
