/**
 * Per-key order across the members of a JetStream group, wherever they run.
 *
 * Publishing: each event with a key names the stream sequence of the event published before it with that key, in a
 * `Micromesh-Prev` header (0 for the first). The last sequence of each (topic, key) lives in the KV bucket
 * `<streamPrefix>KEYS`. A process reserves the entry by compare-and-set (`r <prev> <ms>`), publishes the key's events,
 * then writes the last sequence back: publishers of one key in different processes take turns, so the events of a
 * key form one chain. A reservation left by a process that died is taken over once older than twice the publish
 * timeout; events it published under it but had not written back then share their `prev` with the next one.
 *
 * Consuming: an event waits for its turn until its `prev` is settled in the group. A member that settles an event with
 * a key first records its sequence as the key's mark in `<streamPrefix>TURNS` (`<durable>.<topic>.<key>`), then acks.
 * `prev` is settled when this member settled it, when the key's mark reached it, when it came before the group's
 * start (the last stream sequence before the consumer's first, stored as `<durable>.start` when the consumer is
 * made), when the consumer's ack floor reached it, or when it is no longer in the stream.
 *
 * Both buckets keep an entry for a day after its last write: a key quiet for longer starts a new chain.
 */
import type { Consumer, JetStreamManager, KV, KvEntry } from 'nats';
import { type Clock, processClock } from '../../actors/clock.ts';
import { MicroError } from '../../mesh/errors.ts';
import { TurnWaits } from '../../mesh/events/turns.ts';
import { natsError } from './connection.ts';
import { encodeKvKey, isCasConflict } from './kv.ts';

/** The header naming the previous event of the key. */
export const PREV_HEADER = 'Micromesh-Prev';

/** How long entries of the KEYS and TURNS buckets live after their last write. */
export const KEY_ORDER_TTL_MS = 24 * 60 * 60 * 1000;
const CACHED_KEYS = 10_000;

/** A read KEYS entry: the last sequence of a key, or a reservation with the sequence before it. */
interface ChainEntry {
  readonly revision: number;
  readonly prev: number;
  /** Set while a publisher holds the entry: when it took it (epoch ms, read by other processes). */
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

/** A key this process holds the KEYS entry of: its events are published without asking the bucket. */
interface Held {
  /** The reservation's revision, for the write that gives the entry back. */
  readonly revision: number;
  /** When it was taken (clock ms). */
  readonly since: number;
  /** The sequence of the key's last event. */
  last: number;
  timer: unknown;
}

/** How long a key is kept after its last publish, for the next one; and how long at most before others get a turn. */
const LINGER_MS = 20;
const HOLD_MS = 250;

/**
 * The publishing side: links each keyed event to the one before it. A process holds a key's entry while it publishes
 * that key, and gives it back (writing the last sequence) once the key was quiet for LINGER_MS or held for HOLD_MS:
 * a key published often costs two bucket writes per quarter second rather than two per event.
 */
export class KeyChains {
  readonly #bucket: () => Promise<KV>;
  readonly #publishTimeoutMs: number;
  readonly #clock: Clock;
  /** The entry this process last wrote per KV key: the next reservation of the key skips reading it. */
  readonly #known = new Map<string, ChainEntry>();
  readonly #held = new Map<string, Held>();
  /** Work on one key in this process (publishes, giving the entry back), one after another. */
  readonly #tails = new Map<string, Promise<unknown>>();

  /** `clock` times a held key's linger and hold and the pauses while another process holds one; reservations carry epoch ms, which other processes read. */
  constructor(bucket: () => Promise<KV>, publishTimeoutMs: number, clock: Clock = processClock) {
    this.#bucket = bucket;
    this.#publishTimeoutMs = publishTimeoutMs;
    this.#clock = clock;
  }

  /** Publishes with `publish(prev)` as the next event of `key` on `topic`; resolves its sequence. */
  publish(topic: string, key: string, publish: (prev: number) => Promise<number>): Promise<number> {
    const name = `${encodeKvKey(topic)}.${encodeKvKey(key)}`;
    return this.#serially(name, () => this.#publish(name, publish));
  }

  /** Gives back every key held (the node stops). */
  async close(): Promise<void> {
    await Promise.all([...this.#held.keys()].map((name) => this.#serially(name, () => this.#giveBack(name))));
  }

  #serially<T>(name: string, work: () => Promise<T>): Promise<T> {
    const before = this.#tails.get(name) ?? Promise.resolve();
    const run = before.then(work, work);
    this.#tails.set(name, run);
    const forget = (): void => {
      if (this.#tails.get(name) === run) this.#tails.delete(name);
    };
    run.then(forget, forget);
    return run;
  }

  async #publish(name: string, publish: (prev: number) => Promise<number>): Promise<number> {
    let held = this.#held.get(name);
    if (held === undefined) {
      held = await this.#reserve(name);
      this.#held.set(name, held);
    }
    this.#clock.clearTimeout(held.timer);
    held.timer = undefined;
    try {
      held.last = await publish(held.last);
    } catch (err) {
      await this.#giveBack(name);
      throw err;
    }
    if (this.#clock.now() - held.since >= HOLD_MS) await this.#giveBack(name);
    else held.timer = this.#clock.setTimeout(() => void this.#serially(name, () => this.#giveBack(name)), LINGER_MS);
    return held.last;
  }

  /** Takes the key's entry: waits while another process holds it (taking it over once stale), then compare-and-sets. */
  async #reserve(name: string): Promise<Held> {
    const kv = await this.#bucket();
    const stale = 2 * this.#publishTimeoutMs;
    const deadline = this.#clock.now() + stale + this.#publishTimeoutMs;
    for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
      let entry = this.#known.get(name);
      if (entry === undefined) entry = parseChain(await kv.get(name).catch((err: unknown) => failed('reading', err)));
      if (entry.reservedAt !== undefined && Date.now() - entry.reservedAt < stale) {
        // Another process is publishing this key.
        this.#known.delete(name);
        if (this.#clock.now() > deadline) throw new MicroError('UNAVAILABLE', `jetstream: another process held a key for over ${stale} ms`);
        await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, wait));
        continue;
      }
      const since = this.#clock.now();
      try {
        const reservation = `r ${entry.prev} ${Date.now()}`;
        const revision = entry.revision === 0 ? await kv.create(name, reservation) : await kv.update(name, reservation, entry.revision);
        return { revision, since, last: entry.prev, timer: undefined };
      } catch (err) {
        this.#known.delete(name);
        if (!isCasConflict(err) && !/wrong last sequence|exists/i.test(String((err as Error)?.message))) failed('reserving', err);
        if (this.#clock.now() > deadline) throw new MicroError('UNAVAILABLE', 'jetstream: too many publishers of one key at once');
      }
    }
  }

  /** Writes the key's last sequence, which lets other processes publish it. */
  async #giveBack(name: string): Promise<void> {
    const held = this.#held.get(name);
    if (held === undefined) return;
    this.#held.delete(name);
    this.#clock.clearTimeout(held.timer);
    const kv = await this.#bucket();
    await kv.update(name, String(held.last), held.revision).then(
      (revision) => this.#remember(name, { revision, prev: held.last }),
      // Taken over meanwhile (this process stalled past the stale limit): read again next time.
      () => this.#known.delete(name),
    );
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
  /** Writes an entry of the TURNS bucket without waiting for its acknowledgement. */
  readonly mark: (name: string, value: string) => void;
  readonly pollMs: number;
  /** Runs the pauses between questions about another member's turn. */
  readonly clock: Clock;
}

/** The consuming side, for one member: when a delivery may run, and the marks its settling leaves. */
export class Turns {
  readonly #p: TurnPlan;
  readonly #waits: TurnWaits<number>;

  constructor(plan: TurnPlan) {
    this.#p = plan;
    this.#waits = new TurnWaits(plan.pollMs, plan.clock);
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
    this.#waits.delivered(sequence);
  }

  /**
   * Records that the group settled `sequence`, on the connection its ack then leaves on, and wakes what waited on it
   * here. The mark is not waited for: a member that reads it too early asks again, and the ack floor stands in for a
   * mark that was lost.
   */
  settle(topic: string, key: string, sequence: number): void {
    this.#p.mark(this.#mark(topic, key), String(sequence));
    this.#waits.settled(sequence);
  }

  /** `undefined` when the event after `prev` may run now, else a promise of the moment it may. */
  turn(topic: string, key: string, prev: number): Promise<void> | undefined {
    if (prev <= 0) return undefined;
    return this.#waits.wait(prev, () => this.#settledElsewhere(topic, key, prev));
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
      if (this.#waits.closed) return true;
      throw natsError(`jetstream: reading the turn of ${topic}`, err);
    }
  }

  close(): void {
    this.#waits.close();
  }
}
