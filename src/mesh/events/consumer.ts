/**
 * One member of a consumer group, as a supervised actor. Its start opens the back end's source and runs a pull loop;
 * when the source fails (a lost connection, a restarted server) the actor fails and its supervisor restarts it with
 * backoff, opening a new source: consumers come back by themselves. Deliveries wait in `held` until a slot is free
 * and no other delivery with the same key runs, so per-key order holds with any concurrency. On back ends whose members
 * may live in different processes, a delivery also waits for its turn in the group (`EventSource.turn`): until the
 * event published before it with its key is settled, wherever it was delivered. Every held or running
 * delivery is kept alive with `working()` every third of the ack wait. A failed handler's event is delivered again
 * after a growing delay, or dead-lettered once it had `maxDeliver` deliveries.
 */
import type { Actor, ActorContext } from '../../actors/index.ts';
import { MicroError } from '../errors.ts';
import type { InboundDelivery } from '../middleware/middleware.ts';
import { deadLetterEvent } from './dead-letter.ts';
import { Delivery, isThenable } from './delivery.ts';
import type { EventDelivery, EventSource, EventsBackend, GroupSettings, StoredDelivery } from './events.ts';
import type { Clock } from '../../actors/clock.ts';
import type { Logger } from '../../actors/logger.ts';
import { backoffDelay } from '../../supervisor/backoff.ts';

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
  /** Decodes a body: a value, or a promise of one for bodies decoded off the main thread. */
  readonly decode: (contentType: string, data: Uint8Array) => unknown;
  /** Runs the handler on `event`, inside the middleware `subscribe` chain when there is one; may return a promise. */
  readonly deliver: (delivery: InboundDelivery, event: EventDelivery) => unknown;
  readonly stats: { handled: number; failed: number; deadLettered: number };
  /** The last error per sequence, for dead letters after a restart of the process' handler. Bounded. */
  readonly lastErrors: Map<number, string>;
  /** Called once the first source opened, or with the error when it could not be. */
  readonly started: (err?: unknown) => void;
  /** Called when an incarnation has stopped, its handlers finished. */
  readonly stopped: () => void;
}

const MAX_ERRORS_KEPT = 10_000;
/** The longest wait before a failed event is delivered again. */
const MAX_RETRY_DELAY_MS = 60_000;

export type ConsumerMessage = { type: 'source-failed'; error: unknown };

export class ConsumerActor implements Actor<ConsumerMessage> {
  readonly #p: ConsumerPlan;
  readonly #d: ConsumerDeps;
  #source: EventSource | undefined;
  #self: ActorContext<ConsumerMessage>['self'] | undefined;
  #stopped = false;
  readonly #held: StoredDelivery[] = [];
  readonly #running = new Set<StoredDelivery>();
  readonly #busyKeys = new Set<string>();
  /** Held deliveries still waiting for their turn in the group. */
  readonly #waiting = new Set<StoredDelivery>();
  #wake: (() => void) | undefined;
  #heartbeat: unknown;
  #idleResolve: (() => void) | undefined;
  #pumping = false;
  #repump = false;

  constructor(plan: ConsumerPlan, deps: ConsumerDeps) {
    this.#p = plan;
    this.#d = deps;
  }

  async preStart(ctx: ActorContext<ConsumerMessage>): Promise<void> {
    this.#self = ctx.self;
    try {
      this.#source = await this.#d.backend.open(this.#p.topic, this.#p.settings);
      this.#d.started();
    } catch (err) {
      this.#d.started(err);
      throw err;
    }
    this.#beat();
    void this.#loop().catch((error: unknown) => {
      if (!this.#stopped) this.#self?.tell({ type: 'source-failed', error });
    });
  }

  receive(message: ConsumerMessage): void {
    throw message.error instanceof Error ? message.error : new MicroError('UNAVAILABLE', String(message.error));
  }

  /** A restart makes a new instance: this one stops reading; its running handlers still settle their events. */
  async preRestart(): Promise<void> {
    await this.#shutdown();
  }

  async postStop(): Promise<void> {
    await this.#shutdown();
    if (this.#running.size > 0) await new Promise<void>((resolve) => (this.#idleResolve = resolve));
    this.#d.stopped();
  }

  async #shutdown(): Promise<void> {
    this.#stopped = true;
    this.#d.clock.clearTimeout(this.#heartbeat);
    this.#wake?.();
    await this.#source?.close().catch(() => {});
  }

  async #loop(): Promise<void> {
    const source = this.#source as EventSource;
    // Refill once half the prefetch is free: one big read instead of a read per finished handler.
    const refillAt = Math.max(1, Math.floor(this.#p.prefetch / 2));
    while (!this.#stopped) {
      const room = this.#p.prefetch - this.#held.length - this.#running.size;
      if (room < refillAt) {
        if (await this.#roomOrTimeout()) continue;
        // Every slot waits for a turn: take over abandoned deliveries, which may be the events waited for.
        const taken = await source.reclaim?.(Math.max(1, room));
        for (const d of taken ?? []) this.#admit(d);
        this.#pump();
        continue;
      }
      const batch = await source.next(room);
      for (const d of batch) this.#admit(d);
      this.#pump();
    }
  }

  /**
   * Waits until a finished handler makes room (true); while deliveries wait for their turn, at most half an ack wait
   * (false), since the events they wait for may sit with a member that died.
   */
  #roomOrTimeout(): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let timer: unknown;
      this.#wake = () => {
        this.#d.clock.clearTimeout(timer);
        resolve(true);
      };
      if (this.#waiting.size > 0 && this.#source?.reclaim !== undefined) {
        timer = this.#d.clock.setTimeout(() => {
          this.#wake = undefined;
          resolve(false);
        }, Math.max(10, Math.floor(this.#p.settings.ackWaitMs / 2)));
      }
    });
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
    const turn = this.#source?.turn?.(d);
    if (turn === undefined) return;
    this.#waiting.add(d);
    turn.then(
      () => {
        this.#waiting.delete(d);
        if (!this.#stopped) this.#pump();
      },
      (error: unknown) => {
        if (!this.#stopped) this.#self?.tell({ type: 'source-failed', error });
      },
    );
  }

  #pump(): void {
    if (this.#pumping) {
      this.#repump = true;
      return;
    }
    this.#pumping = true;
    do {
      this.#repump = false;
      for (let i = 0; i < this.#held.length && this.#running.size < this.#p.concurrency; ) {
        const d = this.#held[i] as StoredDelivery;
        if ((d.key !== undefined && this.#busyKeys.has(d.key)) || this.#waiting.has(d)) {
          i++;
          continue;
        }
        this.#held.splice(i, 1);
        this.#run(d);
      }
    } while (this.#repump && !this.#stopped);
    this.#pumping = false;
  }

  #run(d: StoredDelivery): void {
    this.#running.add(d);
    if (d.key !== undefined) this.#busyKeys.add(d.key);
    const done = this.#handle(d);
    if (done === undefined) this.#finish(d);
    else {
      const finish = (): void => this.#finish(d);
      done.then(finish, finish);
    }
  }

  #finish(d: StoredDelivery): void {
    this.#running.delete(d);
    if (d.key !== undefined) this.#busyKeys.delete(d.key);
    if (this.#running.size === 0) this.#idleResolve?.();
    if (!this.#stopped) this.#pump();
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Decodes and runs the handler; returns a promise only when something had to be awaited. Never rejects. */
  #handle(d: StoredDelivery): Promise<void> | undefined {
    if (d.decoded !== undefined) return this.#invoke(d, d.decoded.value);
    let data: unknown;
    try {
      data = this.#d.decode(d.contentType, d.data);
    } catch (err) {
      return this.#malformed(d, err);
    }
    if (!isThenable(data)) return this.#invoke(d, data);
    return Promise.resolve(data).then(
      (value) => this.#invoke(d, value),
      (err: unknown) => this.#malformed(d, err),
    );
  }

  #malformed(d: StoredDelivery, err: unknown): Promise<void> {
    return this.#deadLetter(d, `malformed: ${err instanceof Error ? err.message : String(err)}`, true);
  }

  #invoke(d: StoredDelivery, data: unknown): Promise<void> | undefined {
    const delivery = new Delivery(d, data, this.#terminate);
    let out: unknown;
    try {
      out = this.#d.deliver({ topic: d.topic, message: data, metadata: d.metadata }, delivery);
    } catch (err) {
      return this.#failed(delivery, err);
    }
    if (!isThenable(out)) return this.#succeeded(delivery);
    return Promise.resolve(out).then(
      () => this.#succeeded(delivery),
      (err: unknown) => this.#failed(delivery, err),
    );
  }

  #succeeded(delivery: Delivery): undefined {
    this.#d.stats.handled++;
    if (!this.#p.manual && delivery.take()) {
      const d = delivery.stored;
      d.ack(false).catch((err: unknown) => this.#d.log.warn({ topic: d.topic, sequence: d.sequence, err }, 'events: ack failed; the event will be delivered again'));
    }
    return undefined;
  }

  async #failed(delivery: Delivery, err: unknown): Promise<void> {
    this.#d.stats.failed++;
    const d = delivery.stored;
    const message = err instanceof Error ? err.message : String(err);
    this.#remember(d.sequence, message);
    if (!delivery.take()) return;
    if (d.deliveryCount >= this.#p.maxDeliver) return this.#deadLetter(d, `delivered ${d.deliveryCount} times (maxDeliver ${this.#p.maxDeliver}); last error: ${message}`);
    await d.nak(backoffDelay(d.deliveryCount - 1, { minMs: this.#p.retryDelayMs, maxMs: MAX_RETRY_DELAY_MS, jitter: 0 })).catch(() => {});
  }

  readonly #terminate = (d: StoredDelivery, reason: string): Promise<void> => this.#deadLetter(d, reason);

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
