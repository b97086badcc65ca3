/**
 * A subscription as a supervised actor. Its mailbox holds what the back end delivered; it decodes each message and
 * runs the handler through the `subscribe` middleware chain, one message at a time.
 *
 * Failure policy: a handler that throws fails the actor, which its supervisor restarts (with backoff); the message
 * goes back in the mailbox (behind those already waiting) with its attempt count raised, until `maxAttempts` tries
 * failed, when it is dead-lettered. A body that cannot be decoded is dead-lettered at once (no handler runs).
 */
import type { Actor, ActorContext } from '../../actors/index.ts';
import type { Codecs } from '../codec/codecs.ts';
import { MicroError } from '../errors.ts';
import type { InboundDelivery, SubscribeNext } from '../middleware/middleware.ts';
import type { Delivery, MessageHandler } from './api.ts';
import type { BrokerMessage } from './broker.ts';

/** One message in a subscription's mailbox. */
export interface Queued {
  readonly message: BrokerMessage;
  attempts: number;
}

/** What a delivery looks like to `subscribe` middleware: the hook's input plus what the handler is given. */
interface InboundPubSub extends InboundDelivery {
  readonly delivery: Delivery;
}

export interface SubscriptionDeps {
  readonly codecs: Codecs;
  readonly maxAttempts: number;
  /** Composes the `subscribe` chain around a terminal. */
  chain(terminal: SubscribeNext): SubscribeNext;
  handler: MessageHandler;
  /** Dead-letters a message: `decoded` is its value when the body could be read. */
  deadLetter(queued: Queued, reason: 'handler failed' | 'malformed', error: MicroError, decoded: { value: unknown } | undefined): void;
}

/**
 * The behaviour of one subscription's actor; the chain is composed once. Without `subscribe` middleware the handler
 * is called directly, and a handler that returns no promise is handled synchronously (no microtask hop per message).
 */
export function subscriptionBehavior(deps: SubscriptionDeps): new () => Actor<Queued> {
  const terminal: SubscribeNext = (d) => Promise.resolve(deps.handler(d.message, (d as InboundPubSub).delivery));
  const run = deps.chain(terminal);
  const direct = run === terminal;
  const failed = (queued: Queued, value: unknown, err: unknown, ctx: ActorContext<Queued>): never => {
    if (queued.attempts < deps.maxAttempts) ctx.self.tell(queued);
    else deps.deadLetter(queued, 'handler failed', MicroError.from(err), { value });
    throw err;
  };
  return class SubscriptionActor implements Actor<Queued> {
    receive(queued: Queued, ctx: ActorContext<Queued>): void | Promise<void> {
      const m = queued.message;
      let value: unknown;
      try {
        value = m.decoded === undefined ? deps.codecs.get(m.contentType).decode(m.body) : m.decoded.value;
      } catch (err) {
        deps.deadLetter(queued, 'malformed', MicroError.from(err), undefined);
        return;
      }
      queued.attempts++;
      const delivery: Delivery = { topic: m.topic, metadata: m.metadata, id: m.id, source: m.source, type: m.type, time: m.time, contentType: m.contentType, attempt: queued.attempts };
      let result: unknown;
      try {
        result = direct ? deps.handler(value, delivery) : run({ topic: m.topic, message: value, metadata: m.metadata, delivery } as InboundPubSub);
      } catch (err) {
        failed(queued, value, err, ctx);
      }
      if (result !== null && typeof result === 'object' && typeof (result as Promise<void>).then === 'function') {
        return (result as Promise<void>).then(
          () => {},
          (err: unknown) => failed(queued, value, err, ctx),
        );
      }
    }
  };
}
