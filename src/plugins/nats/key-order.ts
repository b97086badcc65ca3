/**
 * Per-key order across the members of a JetStream group, wherever they run.
 *
 * Publishing: each event with a key names the stream sequence of the event published before it with that key, in a
 * `Micromesh-Prev` header (0 for the first). The last sequence of each (topic, key) lives in the KV bucket
 * `<streamPrefix>KEYS`. A publisher first reserves the entry by compare-and-set (`r <prev> <ms>`), publishes, then
 * writes the new sequence: concurrent publishers of one key, in any process, take turns, so the events of a key form
 * one chain. A reservation left by a publisher that died is taken over once older than twice the publish timeout.
 *
 * Consuming: an event waits for its turn until its `prev` is settled in the group. A member that settles an event with
 * a key first records its sequence as the key's mark in `<streamPrefix>TURNS` (`<durable>.<topic>.<key>`), then acks.
 * `prev` is settled when this member settled it, when the key's mark reached it, when it came before the group's
 * start (the last stream sequence before the consumer's first, stored as `<durable>.start` when the consumer is
 * made), when the consumer's ack floor reached it, or when it is no longer in the stream.
 *
 * Both buckets keep an entry for a day after its last write: a key quiet for longer starts a new chain.
 */
import type { Consumer, JetStreamManager, KV, KvEntry, NatsConnection } from 'nats';
import { MicroError } from '../../mesh/errors.ts';
import { natsError } from './connection.ts';
import { encodeKvKey, isCasConflict } from './kv.ts';

/** The header naming the previous event of the key. */
export const PREV_HEADER = 'Micromesh-Prev';

const DAY_MS = 24 * 60 * 60 * 1000;
const CACHED_KEYS = 10_000;
const SETTLED_KEPT = 4096;

type KvOpener = (name: string) => Promise<KV>;

/** Opens the buckets of per-key order once per name on `nc`'s JetStream. */
export function kvOpener(nc: () => NatsConnection, storage: 'file' | 'memory'): KvOpener {
  const open = new Map<string, Promise<KV>>();
  return (name) => {
    let kv = open.get(name);
    if (kv === undefined) {
      kv = nc().jetstream().views.kv(name, { history: 1, ttl: DAY_MS, storage: storage === 'memory' ? ('memory' as never) : ('file' as never) });
      open.set(name, kv);
      kv.catch(() => open.delete(name));
    }
    return kv.catch((err: unknown) => {
      throw natsError(`jetstream: bucket ${name}`, err);
    });
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A read KEYS entry: the last sequence of a key, or a reservation with the sequence before it. */
interface ChainEntry {
  readonly revision: number;
  readonly prev: number;
  /** Set while a publisher holds the entry: when it took it (ms). */
  readonly reservedAt?: number;
}

function parseChain(entry: KvEntry | null): ChainEntry {
  if (entry === null || entry.operation !== 'PUT') return { revision: entry?.revision ?? 0, prev: 0 };
  const text = entry.string();
  if (text.startsWith('r ')) {
    const [, prev, at] = text.split(' ');
    return { revision: entry.revision, prev: Number(prev) || 0, reservedAt: Number(at) || 0 };
  }
  return { revision: entry.revision, prev: Number(text) || 0 };
}

/** The publishing side: links each keyed event to the one before it. */
export class KeyChains {
  readonly #bucket: () => Promise<KV>;
  readonly #publishTimeoutMs: number;
  /** The entry this process last wrote per KV key: the next publish of the key skips reading it. */
  readonly #known = new Map<string, ChainEntry>();
  /** Publishes of one key in this process, one after another. */
  readonly #tails = new Map<string, Promise<unknown>>();

  constructor(bucket: () => Promise<KV>, publishTimeoutMs: number) {
    this.#bucket = bucket;
    this.#publishTimeoutMs = publishTimeoutMs;
  }

  /** Publishes with `publish(prev)` as the next event of `key` on `topic`; resolves its sequence. */
  publish(topic: string, key: string, publish: (prev: number) => Promise<number>): Promise<number> {
    const name = `${encodeKvKey(topic)}.${encodeKvKey(key)}`;
    const before = this.#tails.get(name) ?? Promise.resolve();
    const run = before.then(
      () => this.#link(name, publish),
      () => this.#link(name, publish),
    );
    this.#tails.set(name, run);
    const forget = (): void => {
      if (this.#tails.get(name) === run) this.#tails.delete(name);
    };
    run.then(forget, forget);
    return run;
  }

  async #link(name: string, publish: (prev: number) => Promise<number>): Promise<number> {
    const kv = await this.#bucket();
    const stale = 2 * this.#publishTimeoutMs;
    const deadline = Date.now() + stale + this.#publishTimeoutMs;
    for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
      let entry = this.#known.get(name);
      if (entry === undefined) entry = parseChain(await kv.get(name).catch((err: unknown) => failed('reading', err)));
      if (entry.reservedAt !== undefined && Date.now() - entry.reservedAt < stale) {
        // Another process is publishing this key's previous event.
        this.#known.delete(name);
        if (Date.now() > deadline) throw new MicroError('UNAVAILABLE', `jetstream: the key's previous publish did not finish within ${stale} ms`);
        await sleep(wait);
        continue;
      }
      let reserved: number;
      try {
        const reservation = `r ${entry.prev} ${Date.now()}`;
        reserved = entry.revision === 0 ? await kv.create(name, reservation) : await kv.update(name, reservation, entry.revision);
      } catch (err) {
        this.#known.delete(name);
        if (!isCasConflict(err) && !/wrong last sequence|exists/i.test(String((err as Error)?.message))) failed('reserving', err);
        if (Date.now() > deadline) throw new MicroError('UNAVAILABLE', 'jetstream: too many publishers of one key at once');
        continue;
      }
      let sequence: number;
      try {
        sequence = await publish(entry.prev);
      } catch (err) {
        await kv.update(name, String(entry.prev), reserved).then(
          (revision) => this.#remember(name, { revision, prev: entry.prev }),
          () => this.#known.delete(name),
        );
        throw err;
      }
      await kv.update(name, String(sequence), reserved).then(
        (revision) => this.#remember(name, { revision, prev: sequence }),
        () => this.#known.delete(name),
      );
      return sequence;
    }
  }

  #remember(name: string, entry: ChainEntry): void {
    if (this.#known.size >= CACHED_KEYS) this.#known.clear();
    this.#known.set(name, entry);
  }
}

const startKey = (durable: string): string => `${encodeKvKey(durable)}.start`;

/** Records where a group made now starts: the stream sequence before its first event. */
export async function recordStart(turns: KV, durable: string, before: number): Promise<void> {
  await turns.put(startKey(durable), String(before)).catch((err: unknown) => failed('recording the start of', err));
}

function failed(what: string, err: unknown): never {
  throw natsError(`jetstream: ${what} the order of a key`, err);
}

/** What a member's turns need of its consumer. */
export interface TurnPlan {
  readonly stream: string;
  readonly durable: string;
  readonly consumer: Consumer;
  readonly manager: () => Promise<JetStreamManager>;
  readonly turns: () => Promise<KV>;
  readonly pollMs: number;
}

/** The consuming side, for one member: when a delivery may run, and the marks its settling leaves. */
export class Turns {
  readonly #p: TurnPlan;
  readonly #settled = new Set<number>();
  readonly #unsettled = new Map<number, Array<() => void>>();
  readonly #sleepers = new Set<() => void>();
  #closed = false;

  constructor(plan: TurnPlan) {
    this.#p = plan;
  }

  #mark(topic: string, key: string): string {
    return `${encodeKvKey(this.#p.durable)}.${encodeKvKey(topic)}.${encodeKvKey(key)}`;
  }

  /** The group's start, once known: events up to it were never the group's. */
  #start: number | undefined;

  async #startOf(kv: KV): Promise<number> {
    if (this.#start !== undefined) return this.#start;
    const entry = await kv.get(startKey(this.#p.durable));
    if (entry !== null && entry.operation === 'PUT') this.#start = Number(entry.string()) || 0;
    return this.#start ?? 0;
  }

  /** A keyed delivery arrived here: deliveries waiting on it wait without asking the server. */
  delivered(sequence: number): void {
    if (!this.#unsettled.has(sequence)) this.#unsettled.set(sequence, []);
  }

  /** Records that the group settled `sequence` (before its ack goes out), then wakes what waited on it. */
  async settle(topic: string, key: string, sequence: number): Promise<void> {
    const kv = await this.#p.turns();
    await kv.put(this.#mark(topic, key), String(sequence)).catch((err: unknown) => failed('marking', err));
    this.#settled.add(sequence);
    if (this.#settled.size > SETTLED_KEPT) this.#settled.delete(this.#settled.values().next().value as number);
    const waiters = this.#unsettled.get(sequence);
    this.#unsettled.delete(sequence);
    for (const wake of waiters ?? []) wake();
  }

  /** `undefined` when the event after `prev` may run now, else a promise of the moment it may. */
  turn(topic: string, key: string, prev: number): Promise<void> | undefined {
    if (prev <= 0 || this.#settled.has(prev) || this.#closed) return undefined;
    return this.#await(topic, key, prev);
  }

  async #await(topic: string, key: string, prev: number): Promise<void> {
    const slowest = Math.max(2, this.#p.pollMs / 10);
    let delay = 2;
    for (let ask = !this.#unsettled.has(prev); ; ask = true) {
      if (ask && (await this.#settledElsewhere(topic, key, prev))) return;
      if (this.#settled.has(prev) || this.#closed) return;
      const mine = this.#unsettled.get(prev);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.#sleepers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, mine === undefined ? delay : slowest);
        this.#sleepers.add(wake);
        mine?.push(wake);
      });
      if (this.#settled.has(prev) || this.#closed) return;
      delay = Math.min(delay * 2, slowest);
    }
  }

  /** Whether the group settled `prev` (its mark or the ack floor reached it) or it left the stream. */
  async #settledElsewhere(topic: string, key: string, prev: number): Promise<boolean> {
    try {
      const kv = await this.#p.turns();
      const mark = await kv.get(this.#mark(topic, key));
      if (mark !== null && mark.operation === 'PUT' && Number(mark.string()) >= prev) return true;
      if ((await this.#startOf(kv)) >= prev) return true;
      const info = await this.#p.consumer.info();
      if (info.ack_floor.stream_seq >= prev) return true;
      const jsm = await this.#p.manager();
      return await jsm.streams.getMessage(this.#p.stream, { seq: prev }).then(
        () => false,
        (err: unknown) => {
          if (/no message found|not found/i.test(String((err as Error)?.message))) return true;
          throw err;
        },
      );
    } catch (err) {
      if (this.#closed) return true;
      throw natsError(`jetstream: reading the turn of ${topic}`, err);
    }
  }

  close(): void {
    this.#closed = true;
    for (const wake of [...this.#sleepers]) wake();
  }
}
