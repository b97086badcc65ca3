/**
 * A subscription as a supervised actor. What the back end delivers is queued in an {@link Inbox}, which hands it
 * to the actor's mailbox in batches (everything that arrived in one turn, e.g. one socket read), so the actor keeps
 * up with a fast connection instead of paying a scheduling round per message. The actor decodes each message and
 * runs the handler through the `subscribe` middleware chain, one message at a time.
 *
 * Failure policy: a handler that throws fails the actor, which its supervisor restarts (with backoff); the message
 * goes back in the mailbox (behind those already waiting, with the rest of its batch) with its attempt count
 * raised, until `maxAttempts` tries failed, when it is dead-lettered. A body that cannot be decoded is dead-lettered
 * at once (no handler runs). So order is kept, except around a handler failure.
 */
import type { Actor, ActorContext, ActorRef } from '../../actors/index.ts';
import type { Codecs } from '../codec/codecs.ts';
import { MicroError } from '../errors.ts';
import type { InboundDelivery, SubscribeNext } from '../middleware/middleware.ts';
import type { Delivery, MessageHandler } from './api.ts';
import type { BrokerMessage } from './broker.ts';

/** One message waiting for the handler. */
export interface Queued {
  readonly message: BrokerMessage;
  attempts: number;
}

/** What a subscription's mailbox holds: messages in arrival order. */
export interface Batch {
  readonly items: readonly Queued[];
}

/** What a delivery looks like to `subscribe` middleware: the hook's input plus what the handler is given. */
interface InboundPubSub extends InboundDelivery {
  readonly delivery: Delivery;
}

/**
 * The messages of one subscription not handled yet, bounded by `capacity`: `push` queues one (throws OVERLOADED when
 * full) and the batch goes to the actor at the end of the current turn.
 */
export class Inbox {
  #pending: Queued[] = [];
  #scheduled = false;
  /** Messages queued and not yet taken by the handler (a failed one waiting for its retry counts again). */
  waiting = 0;
  ref: ActorRef<Batch> | undefined;

  constructor(
    readonly capacity: number,
    readonly name: string,
  ) {}

  push(message: BrokerMessage): void {
    if (this.waiting >= this.capacity) throw new MicroError('OVERLOADED', `${this.name} has ${this.waiting} messages waiting (capacity ${this.capacity})`);
    this.waiting++;
    this.#pending.push({ message, attempts: 0 });
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(this.#flush);
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    const items = this.#pending;
    this.#pending = [];
    if (items.length > 0) this.ref?.tell({ items });
  };
}

export interface SubscriptionDeps {
  readonly codecs: Codecs;
  readonly maxAttempts: number;
  readonly inbox: Inbox;
  /** Composes the `subscribe` chain around a terminal. */
  chain(terminal: SubscribeNext): SubscribeNext;
  handler: MessageHandler;
  /** Dead-letters a message: `decoded` is its value when the body could be read. */
  deadLetter(queued: Queued, reason: 'handler failed' | 'malformed', error: MicroError, decoded: { value: unknown } | undefined): void;
}

/**
 * The behaviour of one subscription's actor; the chain is composed once. Without `subscribe` middleware the handler
 * is called directly, and a batch of handlers that return no promise is handled synchronously.
 */
export function subscriptionBehavior(deps: SubscriptionDeps): new () => Actor<Batch> {
  const terminal: SubscribeNext = (d) => Promise.resolve(deps.handler(d.message, (d as InboundPubSub).delivery));
  const run = deps.chain(terminal);
  const direct = run === terminal;
  const { inbox } = deps;

  /** The handler threw on `items[i]`: it goes back behind the rest of its batch (or to the dead letters). */
  const failed = (items: readonly Queued[], i: number, value: unknown, err: unknown, ctx: ActorContext<Batch>): never => {
    const q = items[i] as Queued;
    const rest = items.slice(i + 1);
    if (q.attempts < deps.maxAttempts) {
      inbox.waiting++;
      rest.push(q);
    } else deps.deadLetter(q, 'handler failed', MicroError.from(err), { value });
    if (rest.length > 0) ctx.self.tell({ items: rest });
    throw err;
  };

  /** Runs `items` from `start`; returns a promise only once a handler returned one. */
  const handle = (items: readonly Queued[], start: number, ctx: ActorContext<Batch>): void | Promise<void> => {
    for (let i = start; i < items.length; i++) {
      const q = items[i] as Queued;
      const m = q.message;
      inbox.waiting--;
      let value: unknown;
      try {
        value = m.decoded === undefined ? deps.codecs.get(m.contentType).decode(m.body) : m.decoded.value;
      } catch (err) {
        deps.deadLetter(q, 'malformed', MicroError.from(err), undefined);
        continue;
      }
      q.attempts++;
      const delivery: Delivery = { topic: m.topic, metadata: m.metadata, id: m.id, source: m.source, type: m.type, time: m.time, contentType: m.contentType, attempt: q.attempts };
      let result: unknown;
      try {
        result = direct ? deps.handler(value, delivery) : run({ topic: m.topic, message: value, metadata: m.metadata, delivery } as InboundPubSub);
      } catch (err) {
        failed(items, i, value, err, ctx);
      }
      if (result !== null && typeof result === 'object' && typeof (result as Promise<void>).then === 'function') {
        return (result as Promise<void>).then(
          () => handle(items, i + 1, ctx),
          (err: unknown) => failed(items, i, value, err, ctx),
        );
      }
    }
  };

  return class SubscriptionActor implements Actor<Batch> {
    receive(batch: Batch, ctx: ActorContext<Batch>): void | Promise<void> {
      return handle(batch.items, 0, ctx);
    }
  };
}
