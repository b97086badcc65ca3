/**
 * The NATS core broker: a topic is the NATS subject as it is, a queue group is a NATS queue group, and every
 * message is a CloudEvent, in binary mode by default (`ce-*` headers, `content-type`, metadata as headers), so plain
 * NATS clients publish to and read from micromesh subscribers. `cloudEvents: 'structured'` sends the event as JSON
 * instead, and `'off'` sends the body alone (no id, source or time travel; metadata still goes as headers); every
 * mode is read whatever the setting. It rides the node's shared connection, which re-subscribes
 * by itself after a reconnect. A publish resolves once the server confirmed it (one PING for all the publishes of
 * one turn, so the cost is shared). While NATS is away a publish waits for the reconnect (up to `publishWaitMs`) and
 * goes out after the subscriptions were restored; a batch whose confirmation was lost with the connection is sent
 * again after the reconnect (so a message caught in the break may arrive twice). Past the wait, or on a closed
 * connection, a publish fails with UNAVAILABLE (503).
 */
import type { Msg, MsgHdrs, NatsConnection, Subscription } from 'nats';
import type { Broker, BrokerMessage, BrokerSink, BrokerSubscribeOptions, BrokerSubscription } from '../../mesh/broker/broker.ts';
import { EventStamps, encodeHeaderValue, fromBinary, fromHeaderBlock, type Parsed, STRUCTURED_JSON, toStructured } from '../../mesh/broker/cloudevents.ts';
import { ContentType } from '../../mesh/codec/codec.ts';
import { MicroError } from '../../mesh/errors.ts';
import type { Clock } from '../../actors/clock.ts';
import type { Logger } from '../../actors/index.ts';
import type { SharedLease } from '../../mesh/plugins/resources.ts';
import type { NatsBrokerOptions } from './options.ts';
import { natsError } from './connection.ts';
import { BinaryBlockWriter, HeaderBlock, headerBlock } from './header-block.ts';


/** How messages are written; every mode is read. */
export type NatsCloudEventsMode = NonNullable<NatsBrokerOptions['cloudEvents']>;

const STRUCTURED_BLOCK = new HeaderBlock(Buffer.from(`NATS/1.0\r\ncontent-type: ${STRUCTURED_JSON}\r\n\r\n`, 'latin1')) as unknown as MsgHdrs;

/**
 * The subject's payload and headers in each mode. `off` sends the body alone, with headers only for what a plain
 * message needs: a content type other than JSON, and metadata (keys and values are checked at publish).
 */
function encodeMessage(m: BrokerMessage, mode: NatsCloudEventsMode, binary: BinaryBlockWriter): { body: Uint8Array; headers: MsgHdrs | undefined } {
  if (mode === 'binary') return { body: m.body, headers: binary.block(m) };
  if (mode === 'structured') return { body: Buffer.from(toStructured(m), 'utf8'), headers: STRUCTURED_BLOCK };
  let lines = m.contentType === ContentType.JSON ? '' : `content-type: ${m.contentType}\r\n`;
  for (const k in m.metadata) lines += `${k}: ${encodeHeaderValue(m.metadata[k] as string)}\r\n`;
  return { body: m.body, headers: lines === '' ? undefined : headerBlock(lines) };
}

/** nats.js's message internals this reads when present: the raw bytes and where its header block ends. */
interface RawMsg {
  _rdata?: Uint8Array;
  _msg?: { hdr?: number };
}

/**
 * Reads a message as a CloudEvent. The header block is parsed here from the raw bytes when nats.js exposes them
 * (decoding them through its MsgHdrs cost a sixth of a delivery); otherwise from `msg.headers`. `topic` is the
 * subscription's subject when it has no wildcard (nats.js decodes `msg.subject` from bytes on every message).
 */
function parseMsg(msg: Msg, topic: string | undefined, foreign: EventStamps): Parsed {
  const raw = msg as unknown as RawMsg;
  const end = raw._msg?.hdr;
  const data = raw._rdata;
  const subject = topic ?? msg.subject;
  if (data instanceof Uint8Array && typeof end === 'number') {
    if (end < 0) return fromBinary(subject, [], msg.data, foreign);
    const block = Buffer.isBuffer(data) ? data.toString('latin1', 0, end) : Buffer.from(data.buffer, data.byteOffset, end).toString('latin1');
    return fromHeaderBlock(subject, block, msg.data, foreign);
  }
  const pairs: Array<[string, string]> = [];
  for (const [k, values] of msg.headers ?? []) if (values[0] !== undefined) pairs.push([k, values[0]]);
  return fromBinary(subject, pairs, msg.data, foreign);
}

/** What the broker runs on: the shared connection, the node's logger and clock. */
export interface NatsBrokerDeps {
  readonly lease: SharedLease<NatsConnection>;
  readonly log: Logger;
  readonly clock: Clock;
}

interface Pending {
  readonly m: BrokerMessage;
  readonly tries: number;
  resolve(): void;
  reject(err: unknown): void;
}

export class NatsBroker implements Broker {
  readonly name = 'nats';
  readonly #lease: SharedLease<NatsConnection>;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #foreign: EventStamps;
  readonly #mode: NatsCloudEventsMode;
  readonly #binary = new BinaryBlockWriter();
  readonly #subs = new Set<Subscription>();
  readonly #publishWaitMs: number;
  /** Set while the connection is lost: resolves when it is back. */
  #down: { back: Promise<void>; resolve: () => void } | undefined;
  /** Publishes written in this turn, confirmed together at its end. */
  #batch: Pending[] = [];
  #confirming = false;
  #closed = false;

  constructor(deps: NatsBrokerDeps, options: NatsBrokerOptions = {}) {
    this.#lease = deps.lease;
    this.#log = deps.log;
    this.#clock = deps.clock;
    this.#foreign = new EventStamps(options.foreignSource ?? 'nats');
    this.#mode = options.cloudEvents ?? 'binary';
    this.#publishWaitMs = options.publishWaitMs ?? 5000;
    void this.#watchStatus();
  }

  async #watchStatus(): Promise<void> {
    for await (const s of this.#lease.value.status()) {
      if (s.type === 'disconnect' && this.#down === undefined) {
        let resolve!: () => void;
        const back = new Promise<void>((r) => {
          resolve = r;
        });
        this.#down = { back, resolve };
      } else if (s.type === 'reconnect' && this.#down !== undefined) {
        this.#down.resolve();
        this.#down = undefined;
      }
    }
  }

  publish(m: BrokerMessage): Promise<void> {
    if (this.#closed) return Promise.reject(new MicroError('UNAVAILABLE', 'nats broker closed'));
    if (this.#down !== undefined) return this.#publishLater(m, this.#down.back);
    return this.#publishNow(m);
  }

  async #publishLater(m: BrokerMessage, back: Promise<void>, tries = 1): Promise<void> {
    let timer: unknown;
    const gaveUp = new Promise<'late'>((resolve) => {
      timer = this.#clock.setTimeout(() => resolve('late'), this.#publishWaitMs);
    });
    const outcome = await Promise.race([back, gaveUp]);
    this.#clock.clearTimeout(timer);
    if (outcome === 'late') throw new MicroError('UNAVAILABLE', `nats: publish on ${m.topic}: no connection to NATS within ${this.#publishWaitMs} ms`);
    if (this.#closed) throw new MicroError('UNAVAILABLE', 'nats broker closed');
    await (this.#down === undefined ? this.#publishNow(m, tries) : this.#publishLater(m, this.#down.back, tries));
  }

  #publishNow(m: BrokerMessage, tries = 1): Promise<void> {
    try {
      const { body, headers } = encodeMessage(m, this.#mode, this.#binary);
      this.#lease.value.publish(m.topic, body, headers === undefined ? undefined : { headers });
    } catch (err) {
      return Promise.reject(natsError(`nats: publish on ${m.topic}`, err));
    }
    return new Promise<void>((resolve, reject) => {
      this.#batch.push({ m, resolve, reject, tries });
      if (this.#confirming) return;
      this.#confirming = true;
      queueMicrotask(this.#confirm);
    });
  }

  #resend(p: Pending): void {
    const again = (): Promise<void> => this.#publishNow(p.m, p.tries + 1);
    const sent = this.#down === undefined ? again() : this.#publishLater(p.m, this.#down.back, p.tries + 1);
    sent.then(p.resolve, p.reject);
  }

  /** One PING for the publishes written in this turn; several may be in flight, their PONGs come in order. */
  readonly #confirm = (): void => {
    this.#confirming = false;
    const batch = this.#batch;
    this.#batch = [];
    this.#lease.value
      .flush()
      .then(
        () => {
          for (const p of batch) p.resolve();
        },
        (err: unknown) => {
          for (const p of batch) {
            if (this.#closed || p.tries >= 3) p.reject(natsError(`nats: publish on ${p.m.topic}`, err));
            else this.#resend(p);
          }
        },
      );
  };

  async subscribe(pattern: string, options: BrokerSubscribeOptions, sink: BrokerSink): Promise<BrokerSubscription> {
    if (this.#closed) throw new MicroError('UNAVAILABLE', 'nats broker closed');
    const nc = this.#lease.value;
    let sub: Subscription;
    const literal = pattern.includes('*') || pattern.includes('>') ? undefined : pattern;
    try {
      sub = nc.subscribe(pattern, {
        ...(options.queue === undefined ? {} : { queue: options.queue }),
        callback: (err, msg) => {
          if (err !== null) {
            this.#log.warn({ pattern, err: err.message }, 'nats broker: subscription error');
            return;
          }
          const parsed = parseMsg(msg, literal, this.#foreign);
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

export type { NatsBrokerOptions };
