/**
 * Events on NATS JetStream. A topic is the subject itself; it is stored in the stream that already captures it, or
 * else in a stream micromesh creates per first token (`EVENTS_<token>`, subjects `<token>` and `<token>.>`; when
 * another stream holds some of those subjects, one stream for the topic alone, `EVENTS_<topic>`). A group
 * is a durable pull consumer per stream named `<group>__<topic>` with `.`, `*` and `>` made filename-safe,
 * AckExplicit, the group's ack wait, and MaxDeliver unlimited: micromesh counts deliveries and dead-letters itself,
 * since JetStream only raises an advisory. Events travel as CloudEvents in binary mode, `Nats-Msg-Id` = event id.
 * Events with a key keep their order across members in different processes (key-order.ts).
 */
import type { Consumer, JetStreamClient, JetStreamManager, JsMsg, NatsConnection } from 'nats';
import { processClock } from '../../actors/clock.ts';
import { MicroError } from '../../mesh/errors.ts';
import { binaryHeaders, dataBytes, fromBinary, type ReadEvent } from '../../mesh/events/cloudevents.ts';
import type { Metadata } from '../../mesh/metadata.ts';
import type { EventSource, EventsBackend, GroupSettings, OutgoingEvent, StartFrom, StoredDelivery } from '../../mesh/events/events.ts';
import type { JetStreamEventsOptions } from './events-options.ts';
import type { SharedLease } from '../../mesh/plugins/resources.ts';
import { natsError } from './connection.ts';
import { JetStreamPublisher } from './js-publisher.ts';
import { KEY_ORDER_TTL_MS, KeyChains, PREV_HEADER, recordStart, Turns } from './key-order.ts';
import { KvBuckets } from './kv.ts';


type NatsModule = typeof import('nats');

/** `orders.*` → `orders_STAR`: a name JetStream accepts for a stream or durable consumer. */
export function filenameSafe(name: string): string {
  return name.replace(/\./g, '_').replace(/\*/g, 'STAR').replace(/>/g, 'ALL');
}

const TRANSPORT_HEADER = /^(nats-|micromesh-prev$)/;
const PREV = PREV_HEADER.toLowerCase();

class JetStreamEvents implements EventsBackend {
  readonly name = 'jetstream';
  readonly wildcards = true;
  readonly #lease: SharedLease<NatsConnection>;
  readonly #mod: NatsModule;
  readonly #o: Required<JetStreamEventsOptions>;
  readonly #streams = new Map<string, Promise<string>>();
  /** Topics whose stream is known to exist: their publishes skip the lookup. */
  readonly #ready = new Set<string>();
  #publisher: JetStreamPublisher | undefined;
  #js: JetStreamClient;
  #jsm: Promise<JetStreamManager> | undefined;
  readonly #sources = new Set<EventSource>();
  readonly #buckets: KvBuckets;
  readonly #chains: KeyChains;

  constructor(lease: SharedLease<NatsConnection>, mod: NatsModule, options: JetStreamEventsOptions) {
    this.#lease = lease;
    this.#mod = mod;
    this.#o = { streamPrefix: 'EVENTS_', duplicateWindowMs: 120_000, storage: 'file', publishTimeoutMs: 5000, pollMs: 1000, connectTimeoutMs: 5000, reconnectTimeWaitMs: 250, clock: processClock, ...options };
    this.#js = lease.value.jetstream();
    const storage = this.#o.storage === 'memory' ? mod.StorageType.Memory : mod.StorageType.File;
    this.#buckets = new KvBuckets(lease, 'jetstream', { ttl: KEY_ORDER_TTL_MS, storage });
    this.#chains = new KeyChains(() => this.#buckets.bucket(`${this.#o.streamPrefix}KEYS`), this.#o.publishTimeoutMs, this.#o.clock);
  }

  #manager(): Promise<JetStreamManager> {
    this.#jsm ??= this.#lease.value.jetstreamManager().catch((err: unknown) => {
      this.#jsm = undefined;
      throw natsError('jetstream: cannot reach JetStream', err);
    });
    return this.#jsm;
  }

  /** The stream holding `topic`: one that captures it, else `<prefix><first token>` made now. */
  #streamOf(topic: string): Promise<string> {
    const first = topic.split('.')[0] as string;
    if (first === '*' || first === '>') {
      return Promise.reject(new MicroError('BAD_REQUEST', `bad topic ${JSON.stringify(topic)}: on JetStream the first token must not be a wildcard (it names the stream)`));
    }
    let stream = this.#streams.get(topic);
    if (stream === undefined) {
      stream = this.#ensureStream(topic, first).then(
        (name) => {
          if (this.#streams.has(topic)) this.#ready.add(topic);
          return name;
        },
        (err: unknown) => {
          this.#streams.delete(topic);
          throw natsError(`jetstream: no stream for ${topic}`, err);
        },
      );
      if (this.#streams.size > 10_000) {
        this.#streams.clear();
        this.#ready.clear();
      }
      this.#streams.set(topic, stream);
    }
    return stream;
  }

  async #ensureStream(topic: string, first: string): Promise<string> {
    const jsm = await this.#manager();
    const find = () => jsm.streams.find(topic).catch(() => undefined);
    const found = await find();
    if (found !== undefined) return found;
    const name = `${this.#o.streamPrefix}${filenameSafe(first)}`;
    const config = {
      storage: this.#o.storage === 'memory' ? this.#mod.StorageType.Memory : this.#mod.StorageType.File,
      duplicate_window: this.#mod.nanos(this.#o.duplicateWindowMs),
    };
    try {
      await jsm.streams.add({ ...config, name, subjects: [first, `${first}.>`] });
    } catch (err) {
      // Made meanwhile by another node; or another stream captures some of these subjects: one stream for this topic.
      const again = await find();
      if (again !== undefined) return again;
      if (!/overlap/i.test(String((err as Error)?.message)) || topic === first) throw err;
      const exact = `${this.#o.streamPrefix}${filenameSafe(topic)}`;
      await jsm.streams.add({ ...config, name: exact, subjects: [topic] });
      return exact;
    }
    return name;
  }

  async append(event: OutgoingEvent): Promise<number> {
    if (!this.#ready.has(event.topic)) await this.#streamOf(event.topic);
    const h = this.#mod.headers();
    try {
      for (const [k, v] of binaryHeaders(event)) h.set(k, v);
      if (event.dedupe) h.set('Nats-Msg-Id', event.id);
    } catch (err) {
      throw new MicroError('BAD_REQUEST', `jetstream: metadata cannot be NATS headers: ${err instanceof Error ? err.message : String(err)}`);
    }
    try {
      if (event.key === undefined) return await this.#publisherOf(this.#lease.value).publish(event.topic, event.data, h);
      return await this.#chains.publish(event.topic, event.key, (prev) => {
        h.set(PREV_HEADER, String(prev));
        return this.#publisherOf(this.#lease.value).publish(event.topic, event.data, h);
      });
    } catch (err) {
      throw natsError(`jetstream: publish to ${event.topic}`, err);
    }
  }

  /** The publisher on the connection `nc`: a new one once the lease's connection was replaced. */
  #publisherOf(nc: NatsConnection): JetStreamPublisher {
    if (this.#publisher?.connection !== nc) {
      this.#publisher?.close();
      this.#publisher = new JetStreamPublisher(nc, this.#mod, this.#o.publishTimeoutMs, this.#o.clock);
    }
    return this.#publisher;
  }

  async open(topic: string, settings: GroupSettings): Promise<EventSource> {
    const stream = await this.#streamOf(topic);
    const durable = filenameSafe(`${settings.group}__${topic}`);
    const jsm = await this.#manager();
    const ackWait = this.#mod.nanos(settings.ackWaitMs);
    try {
      const info = await jsm.consumers.info(stream, durable).catch(() => undefined);
      if (info === undefined) {
        const made = await jsm.consumers.add(stream, { durable_name: durable, ack_policy: this.#mod.AckPolicy.Explicit, ack_wait: ackWait, max_deliver: -1, max_ack_pending: 10_000, filter_subject: topic, ...this.#deliverPolicy(settings.from) });
        // Before its first delivery a consumer's delivered stream sequence is the one before where it starts.
        await recordStart(await this.#turnsBucket(), durable, made.delivered.stream_seq);
      } else if (info.config.ack_wait !== ackWait) {
        await jsm.consumers.update(stream, durable, { ack_wait: ackWait });
      }
      const consumer = await this.#js.consumers.get(stream, durable);
      const bucket = `${this.#o.streamPrefix}TURNS`;
      await this.#turnsBucket();
      const nc = this.#lease.value;
      const mark = (name: string, value: string): void => nc.publish(`$KV.${bucket}.${name}`, value);
      const turns = new Turns({ stream, durable, consumer, manager: () => this.#manager(), turns: () => this.#turnsBucket(), mark, pollMs: this.#o.pollMs, clock: this.#o.clock });
      return await this.#consume(consumer, settings, turns);
    } catch (err) {
      throw natsError(`jetstream: cannot consume ${topic} as ${settings.group}`, err);
    }
  }

  #turnsBucket(): Promise<import('nats').KV> {
    return this.#buckets.bucket(`${this.#o.streamPrefix}TURNS`);
  }

  #deliverPolicy(from: StartFrom): Record<string, unknown> {
    const D = this.#mod.DeliverPolicy;
    if (from === 'first') return { deliver_policy: D.All };
    if (from === 'last') return { deliver_policy: D.New };
    if (typeof from === 'number') return { deliver_policy: D.StartSequence, opt_start_seq: Math.max(1, from) };
    return { deliver_policy: D.StartTime, opt_start_time: from.toISOString() };
  }

  /**
   * Messages arrive through the consume callback, not its iterator: a socket read's messages are queued in one go,
   * so the handlers of a batch run together and their acks leave in one write rather than one write each.
   */
  async #consume(consumer: Consumer, settings: GroupSettings, turns: Turns): Promise<EventSource> {
    const queue: JsMsg[] = [];
    let failure: unknown;
    let ended = false;
    let wake: (() => void) | undefined;
    const notify = (): void => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const messages = await consumer.consume({
      max_messages: Math.max(1, settings.prefetch),
      expires: Math.max(1000, this.#o.pollMs),
      callback: (m) => {
        queue.push(m);
        notify();
      },
    });
    const end = (err: unknown): void => {
      failure = err ?? undefined;
      ended = true;
      notify();
    };
    void messages.closed().then(end, end);
    let closed = false;
    const source: EventSource = {
      next: async (max) => {
        if (queue.length === 0 && !ended && !closed) {
          await new Promise<void>((resolve) => {
            const timer = this.#o.clock.setTimeout(resolve, this.#o.pollMs);
            wake = () => {
              this.#o.clock.clearTimeout(timer);
              resolve();
            };
          });
        }
        if (queue.length === 0 && ended && !closed) throw natsError('jetstream: the consumer stopped', failure ?? new Error('its feed ended'));
        return queue.splice(0, max).map((m) => this.#delivery(m, turns));
      },
      // Redeliveries waiting in the queue: events abandoned by a member that died, which deliveries here may wait for.
      reclaim: async (max) => {
        const taken: StoredDelivery[] = [];
        for (let i = 0; i < queue.length && taken.length < max; ) {
          const m = queue[i] as JsMsg;
          if (m.info.deliveryCount > 1) {
            queue.splice(i, 1);
            taken.push(this.#delivery(m, turns));
          } else i++;
        }
        return taken;
      },
      turn: (d) => {
        const { prev, key } = d as JetStreamDelivery;
        return prev === undefined || key === undefined ? undefined : turns.turn(d.topic, key, prev);
      },
      close: async () => {
        closed = true;
        turns.close();
        this.#sources.delete(source);
        notify();
        await messages.close().catch(() => {});
      },
    };
    this.#sources.add(source);
    return source;
  }

  #delivery(m: JsMsg, turns: Turns): StoredDelivery {
    const entries: Array<[string, string]> = [];
    let prev: number | undefined;
    if (m.headers !== undefined) {
      for (const [k, values] of m.headers) {
        if (values.length === 0) continue;
        entries.push([k, values[0] as string]);
        if (k.toLowerCase() === PREV) prev = Number(values[0]);
      }
    }
    const ce = fromBinary(entries, m.data, (name) => TRANSPORT_HEADER.test(name));
    // A predecessor must come before this event in the stream; anything else (a foreign writer's) leaves it unchained.
    const chained = prev !== undefined && Number.isSafeInteger(prev) && prev < m.info.streamSequence && ce.key !== undefined;
    return new JetStreamDelivery(m, ce, chained ? prev : undefined, chained ? turns : undefined);
  }

  async close(): Promise<void> {
    for (const s of [...this.#sources]) await s.close();
    await this.#chains.close().catch(() => {});
    this.#publisher?.close();
    await this.#lease.release();
  }
}

/** A delivery whose settling verbs are methods on the message, not four closures made per delivery. */
class JetStreamDelivery implements StoredDelivery {
  readonly topic: string;
  readonly sequence: number;
  readonly id: string;
  readonly key: string | undefined;
  readonly time: number;
  readonly contentType: string;
  readonly metadata: Metadata;
  readonly malformed?: string;
  readonly decoded?: { readonly value: unknown };
  readonly deliveryCount: number;
  /** The sequence of the event published before this one with its key, when its publisher named it. */
  readonly prev: number | undefined;
  readonly #m: JsMsg;
  readonly #ce: ReadEvent;
  readonly #turns: Turns | undefined;
  #data: Uint8Array | undefined;

  constructor(m: JsMsg, ce: ReadEvent, prev?: number, turns?: Turns) {
    const info = m.info;
    this.#m = m;
    this.#ce = ce;
    this.topic = m.subject;
    this.sequence = info.streamSequence;
    this.id = ce.id ?? `${info.stream}-${info.streamSequence}`;
    this.key = ce.key;
    this.time = ce.time ?? Math.floor(info.timestampNanos / 1e6);
    this.contentType = ce.contentType ?? 'application/json';
    this.metadata = ce.metadata;
    if (ce.malformed !== undefined) this.malformed = ce.malformed;
    // A structured-mode event's JSON data was parsed with the envelope: its bytes are made again only if asked for.
    if (ce.value !== undefined) this.decoded = ce.value;
    this.deliveryCount = info.deliveryCount;
    this.prev = prev;
    this.#turns = turns;
    turns?.delivered(this.sequence);
  }

  get data(): Uint8Array {
    this.#data ??= dataBytes(this.#ce);
    return this.#data;
  }

  /** Records the key's mark just before the event's ack or term goes out: the next event of the key may run. */
  #settling(): void {
    this.#turns?.settle(this.topic, this.key as string, this.sequence);
  }

  async ack(confirm = true): Promise<void> {
    this.#settling();
    if (!confirm) return this.#m.ack();
    await this.#m.ackAck().catch((err: unknown) => {
      throw natsError('jetstream: ack', err);
    });
  }

  async nak(delayMs: number): Promise<void> {
    this.#m.nak(delayMs);
  }

  async term(): Promise<void> {
    this.#settling();
    this.#m.term();
  }

  async working(): Promise<void> {
    this.#m.working();
  }
}

/** Events on the JetStream of the shared connection `lease`; `mod` is the lazily imported `nats` module. */
export function createJetStreamEvents(lease: SharedLease<NatsConnection>, mod: NatsModule, options: JetStreamEventsOptions = {}): EventsBackend {
  return new JetStreamEvents(lease, mod, options);
}
