/**
 * The NATS core broker: a topic is the NATS subject as it is, a queue group is a NATS queue group, and every
 * message is a CloudEvent in binary mode (`ce-*` headers, `content-type`, metadata as headers), so plain NATS
 * clients publish to and read from micromesh subscribers. It rides the node's shared connection: while NATS is
 * away the client buffers publishes (they go out after the reconnect) and re-subscribes by itself; a publish on a
 * closed connection is UNAVAILABLE (503).
 */
import type { MsgHdrs, NatsConnection, Subscription } from 'nats';
import type { Broker, BrokerMessage, BrokerSink, BrokerSubscribeOptions, BrokerSubscription } from '../../mesh/broker/broker.ts';
import { binaryHeaders, fromBinary } from '../../mesh/broker/cloudevents.ts';
import { MicroError } from '../../mesh/errors.ts';
import type { Logger } from '../../actors/index.ts';
import type { SharedLease } from '../../mesh/plugins/resources.ts';
import { natsError } from './connection.ts';

export interface NatsBrokerOptions {
  /** The `ce-source` of messages that arrive without CloudEvents headers. @default 'nats' */
  foreignSource?: string;
}

function* headerPairs(h: MsgHdrs | undefined): Generator<[string, string]> {
  if (h === undefined) return;
  for (const [k, values] of h) if (values[0] !== undefined) yield [k, values[0]];
}

export class NatsBroker implements Broker {
  readonly name = 'nats';
  readonly #lease: SharedLease<NatsConnection>;
  readonly #makeHeaders: () => MsgHdrs;
  readonly #log: Logger;
  readonly #foreignSource: string;
  readonly #subs = new Set<Subscription>();
  #closed = false;

  constructor(lease: SharedLease<NatsConnection>, makeHeaders: () => MsgHdrs, log: Logger, options: NatsBrokerOptions = {}) {
    this.#lease = lease;
    this.#makeHeaders = makeHeaders;
    this.#log = log;
    this.#foreignSource = options.foreignSource ?? 'nats';
  }

  publish(m: BrokerMessage): Promise<void> {
    if (this.#closed) return Promise.reject(new MicroError('UNAVAILABLE', 'nats broker closed'));
    const headers = this.#makeHeaders();
    for (const [k, v] of binaryHeaders(m)) headers.set(k, v);
    try {
      this.#lease.value.publish(m.topic, m.body, { headers });
    } catch (err) {
      return Promise.reject(natsError(`nats: publish on ${m.topic}`, err));
    }
    return Promise.resolve();
  }

  async subscribe(pattern: string, options: BrokerSubscribeOptions, sink: BrokerSink): Promise<BrokerSubscription> {
    if (this.#closed) throw new MicroError('UNAVAILABLE', 'nats broker closed');
    const nc = this.#lease.value;
    let sub: Subscription;
    try {
      sub = nc.subscribe(pattern, {
        ...(options.queue === undefined ? {} : { queue: options.queue }),
        callback: (err, msg) => {
          if (err !== null) {
            this.#log.warn({ pattern, err: err.message }, 'nats broker: subscription error');
            return;
          }
          const parsed = fromBinary(msg.subject, headerPairs(msg.headers), msg.data, this.#foreignSource);
          if (!parsed.ok) return sink.malformed(msg.subject, parsed.reason, msg.data);
          try {
            sink.deliver(parsed.message);
          } catch (e) {
            this.#log.debug({ pattern, reason: MicroError.from(e).detail }, 'nats broker: delivery refused');
          }
        },
      });
      // Live once the server has seen the SUB: a publish from anywhere after this reaches it.
      await nc.flush();
    } catch (err) {
      throw natsError(`nats: subscribe to ${pattern}`, err);
    }
    this.#subs.add(sub);
    return {
      pattern,
      queue: options.queue,
      unsubscribe: async () => {
        if (!this.#subs.delete(sub)) return;
        if (!nc.isClosed()) sub.unsubscribe();
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const nc = this.#lease.value;
    for (const sub of this.#subs) if (!nc.isClosed()) sub.unsubscribe();
    this.#subs.clear();
    await this.#lease.release();
  }
}
