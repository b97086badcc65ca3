/**
 * One member of a consumer group, as a supervised actor. Its start opens the back end's source and runs a pull loop;
 * when the source fails (a lost connection, a restarted server) the actor fails and its supervisor restarts it with
 * backoff, opening a new source: consumers come back by themselves. Deliveries wait in `held` until a slot is free
 * and no other delivery with the same key runs, so per-key order holds with any concurrency. Every held or running
 * delivery is kept alive with `working()` every third of the ack wait. A failed handler's event is delivered again
 * after a growing delay, or dead-lettered once it had `maxDeliver` deliveries.
 */
import type { Actor, ActorContext } from '../../actors/index.ts';
import { MicroError } from '../errors.ts';
import type { InboundDelivery } from '../middleware/middleware.ts';
import { deadLetterEvent } from './dead-letter.ts';
import type { EventDelivery, EventHandler, EventSource, EventsBackend, GroupSettings, StoredDelivery } from './events.ts';
import type { Clock } from '../../actors/clock.ts';
import type { Logger } from '../../actors/logger.ts';

/** A consumer's settings, with defaults applied. */
export interface ConsumerPlan {
  readonly topic: string;
  readonly settings: GroupSettings;
  readonly manual: boolean;
  readonly maxDeliver: number;
  readonly deadLetter: string;
  readonly concurrency: number;
  readonly retryDelayMs: number;
  /** How many deliveries to hold (running and waiting). */
  readonly prefetch: number;
}

/** What a consumer uses, and what outlives its restarts. */
export interface ConsumerDeps {
  readonly backend: EventsBackend;
  readonly clock: Clock;
  readonly log: Logger;
  readonly source: string;
  readonly decode: (contentType: string, data: Uint8Array) => Promise<unknown>;
  /** The handler wrapped in the middleware `subscribe` chain. */
  readonly deliver: (delivery: InboundDelivery, run: () => Promise<void>) => Promise<void>;
  readonly handler: EventHandler<unknown>;
  readonly stats: { handled: number; failed: number; deadLettered: number };
  /** The last error per sequence, for dead letters after a restart of the process' handler. Bounded. */
  readonly lastErrors: Map<number, string>;
  /** Called once the first source opened, or with the error when it could not be. */
  readonly started: (err?: unknown) => void;
  /** Called when an incarnation has stopped, its handlers finished. */
  readonly stopped: () => void;
}

const MAX_ERRORS_KEPT = 10_000;

export type ConsumerMessage = { type: 'source-failed'; error: unknown };

export class ConsumerActor implements Actor<ConsumerMessage> {
  readonly #p: ConsumerPlan;
  readonly #d: ConsumerDeps;
  #source: EventSource | undefined;
  #stopped = false;
  readonly #held: StoredDelivery[] = [];
  readonly #running = new Set<StoredDelivery>();
  readonly #busyKeys = new Set<string>();
  #wake: (() => void) | undefined;
  #heartbeat: unknown;
  #idle: Promise<void> = Promise.resolve();
  #idleResolve: (() => void) | undefined;

  constructor(plan: ConsumerPlan, deps: ConsumerDeps) {
    this.#p = plan;
    this.#d = deps;
  }

  async preStart(ctx: ActorContext<ConsumerMessage>): Promise<void> {
    try {
      this.#source = await this.#d.backend.open(this.#p.topic, this.#p.settings);
      this.#d.started();
    } catch (err) {
      this.#d.started(err);
      throw err;
    }
    this.#beat();
    void this.#loop().catch((error: unknown) => {
      if (!this.#stopped) ctx.self.tell({ type: 'source-failed', error });
    });
  }

  receive(message: ConsumerMessage): void {
    throw message.error instanceof Error ? message.error : new MicroError('UNAVAILABLE', String(message.error));
  }

  async postStop(): Promise<void> {
    this.#stopped = true;
    this.#d.clock.clearTimeout(this.#heartbeat);
    this.#wake?.();
    await this.#source?.close().catch(() => {});
    if (this.#running.size > 0) await this.#idle;
    this.#d.stopped();
  }

  async #loop(): Promise<void> {
    const source = this.#source as EventSource;
    while (!this.#stopped) {
      const room = this.#p.prefetch - this.#held.length - this.#running.size;
      if (room <= 0) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        continue;
      }
      const batch = await source.next(room);
      for (const d of batch) this.#admit(d);
      this.#pump();
    }
  }

  #beat(): void {
    const every = Math.max(10, Math.floor(this.#p.settings.ackWaitMs / 3));
    this.#heartbeat = this.#d.clock.setTimeout(() => {
      if (this.#stopped) return;
      for (const d of [...this.#held, ...this.#running]) d.working().catch(() => {});
      this.#beat();
    }, every);
  }

  #admit(d: StoredDelivery): void {
    if (d.malformed !== undefined) return void this.#deadLetter(d, `malformed: ${d.malformed}`, true);
    if (d.deliveryCount > this.#p.maxDeliver) {
      const last = this.#d.lastErrors.get(d.sequence) ?? `not settled within ackWaitMs (${this.#p.settings.ackWaitMs} ms)`;
      return void this.#deadLetter(d, `delivered ${d.deliveryCount - 1} times (maxDeliver ${this.#p.maxDeliver}); last error: ${last}`);
    }
    this.#held.push(d);
  }

  #pump(): void {
    for (let i = 0; i < this.#held.length && this.#running.size < this.#p.concurrency; ) {
      const d = this.#held[i] as StoredDelivery;
      if (d.key !== undefined && this.#busyKeys.has(d.key)) {
        i++;
        continue;
      }
      this.#held.splice(i, 1);
      void this.#run(d);
    }
  }

  async #run(d: StoredDelivery): Promise<void> {
    this.#running.add(d);
    if (d.key !== undefined) this.#busyKeys.add(d.key);
    if (this.#running.size === 1) this.#idle = new Promise((resolve) => (this.#idleResolve = resolve));
    try {
      await this.#handle(d);
    } finally {
      this.#running.delete(d);
      if (d.key !== undefined) this.#busyKeys.delete(d.key);
      if (this.#running.size === 0) this.#idleResolve?.();
      if (!this.#stopped) this.#pump();
      const wake = this.#wake;
      this.#wake = undefined;
      wake?.();
    }
  }

  async #handle(d: StoredDelivery): Promise<void> {
    let data: unknown;
    try {
      data = d.decoded !== undefined ? d.decoded.value : await this.#d.decode(d.contentType, d.data);
    } catch (err) {
      return this.#deadLetter(d, `malformed: ${err instanceof Error ? err.message : String(err)}`, true);
    }
    let settled = false;
    const settle = (fn: () => Promise<void>) => (): Promise<void> => {
      if (settled) return Promise.resolve();
      settled = true;
      return fn();
    };
    const delivery: EventDelivery = {
      topic: d.topic,
      sequence: d.sequence,
      id: d.id,
      key: d.key,
      time: new Date(d.time),
      metadata: d.metadata,
      deliveryCount: d.deliveryCount,
      data,
      ack: settle(() => d.ack()),
      nak: (options) => settle(() => d.nak(options?.delayMs ?? 0))(),
      term: (reason) => settle(() => this.#deadLetter(d, `terminated: ${reason ?? 'no reason given'}`))(),
      working: () => d.working(),
    };
    try {
      await this.#d.deliver({ topic: d.topic, message: data, metadata: d.metadata }, async () => {
        await this.#d.handler(delivery);
      });
      this.#d.stats.handled++;
      if (!settled && !this.#p.manual) {
        settled = true;
        d.ack(false).catch((err: unknown) => this.#d.log.warn({ topic: d.topic, sequence: d.sequence, err }, 'events: ack failed; the event will be delivered again'));
      }
    } catch (err) {
      this.#d.stats.failed++;
      const message = err instanceof Error ? err.message : String(err);
      this.#remember(d.sequence, message);
      if (settled) return;
      settled = true;
      if (d.deliveryCount >= this.#p.maxDeliver) return this.#deadLetter(d, `delivered ${d.deliveryCount} times (maxDeliver ${this.#p.maxDeliver}); last error: ${message}`);
      const delay = Math.min(this.#p.retryDelayMs * 2 ** (d.deliveryCount - 1), 60_000);
      await d.nak(delay).catch(() => {});
    }
  }

  #remember(sequence: number, error: string): void {
    const errors = this.#d.lastErrors;
    errors.delete(sequence);
    errors.set(sequence, error);
    if (errors.size > MAX_ERRORS_KEPT) errors.delete(errors.keys().next().value as number);
  }

  /** Publishes the event to the dead-letter topic, then stops its delivery; if the publish fails it is delivered again. */
  async #deadLetter(d: StoredDelivery, error: string, unreadable = false): Promise<void> {
    try {
      await this.#d.backend.append(deadLetterEvent(d, this.#p.deadLetter, this.#p.settings.group, error, this.#d.source, Date.now(), unreadable));
      await d.term();
      this.#d.stats.deadLettered++;
      this.#d.lastErrors.delete(d.sequence);
    } catch (err) {
      this.#d.log.warn({ topic: d.topic, sequence: d.sequence, err }, 'events: dead-lettering failed; the event will be delivered again');
      await d.nak(this.#p.retryDelayMs).catch(() => {});
    }
  }
}
