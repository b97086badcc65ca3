/**
 * The event log micromesh runs itself (the memory and file back ends): events in sequence order, and per group a
 * read cursor, the set of settled sequences and the deliveries pending an ack, each with its delivery count and the
 * time it is due again. A `LogPersistence` makes appends, group creation, deliveries and settlement durable (the
 * file back end); without one everything lives in memory. Deliveries are stored before they are handed out, so a
 * handler that takes its process down with it still uses up its event's `maxDeliver`.
 *
 * Per-key order holds across every member of a group (they all live in this process): an event whose key has an
 * unsettled event in the group waits, in sequence order, until that one is settled.
 */
import type { Clock } from '../../actors/clock.ts';
import { DedupWindow } from './dedup.ts';
import type { EventSource, EventsBackend, GroupSettings, OutgoingEvent, StartFrom, StoredDelivery } from './events.ts';
import { topicMatches } from './topic.ts';

export interface StoredRecord extends OutgoingEvent {
  readonly sequence: number;
}

/** Durability of the log: each call resolves once its change is stored. */
export interface LogPersistence {
  appendEvent(record: StoredRecord): Promise<void>;
  createGroup(name: string, start: number): Promise<void>;
  settle(name: string, sequence: number): Promise<void>;
  /** Each of `sequences` was delivered to the group once more. */
  delivered(name: string, sequences: readonly number[]): Promise<void>;
  close(): Promise<void>;
}

/** What a persistence read back on open. */
export interface LogSnapshot {
  readonly records: StoredRecord[];
  readonly groups: Map<string, { start: number; settled: Set<number>; delivered: Map<number, number> }>;
}

export interface LogEngineOptions {
  readonly name: string;
  readonly clock: Clock;
  /** Epoch ms, for `from: Date` and the duplicate window. */
  readonly now: () => number;
  /** How long `next` waits for events before resolving `[]`. */
  readonly pollMs: number;
  readonly persistence?: LogPersistence;
  readonly snapshot?: LogSnapshot;
}

interface Pending {
  count: number;
  due: number;
  ackWaitMs: number;
}

interface GroupState {
  readonly name: string;
  readonly pattern: string;
  cursor: number;
  readonly settled: Set<number>;
  readonly pending: Map<number, Pending>;
  /** Deliveries made before the log was opened, of events not settled yet. */
  readonly earlier: Map<number, number>;
  /** Keys with an unsettled event in the group: the event's sequence. */
  readonly keys: Map<string, number>;
  /** Events that wait for their key, by key, in sequence order. */
  readonly waiting: Map<string, number[]>;
  /** Events whose key came free, to be delivered before the cursor moves on. */
  readonly released: number[];
}

class LogEngine implements EventsBackend {
  readonly name: string;
  readonly wildcards = true;
  readonly #o: LogEngineOptions;
  readonly #records: StoredRecord[];
  readonly #groups = new Map<string, GroupState>();
  readonly #snapshotGroups: LogSnapshot['groups'];
  readonly #dedup = new DedupWindow();
  readonly #waiters = new Set<() => void>();
  #next: number;
  #closed = false;

  constructor(options: LogEngineOptions) {
    this.#o = options;
    this.name = options.name;
    this.#records = options.snapshot?.records ?? [];
    this.#snapshotGroups = options.snapshot?.groups ?? new Map();
    this.#next = this.#records.length + 1;
    for (const r of this.#records) if (r.dedupe) this.#dedup.add(r.id, r.sequence, r.time);
  }

  async append(event: OutgoingEvent): Promise<number> {
    const seen = event.dedupe ? this.#dedup.get(event.id, this.#o.now()) : undefined;
    if (seen !== undefined) return seen;
    const record: StoredRecord = { ...event, sequence: this.#next++ };
    if (event.dedupe) this.#dedup.add(event.id, record.sequence, event.time);
    await this.#o.persistence?.appendEvent(record);
    // Persistence resolves in append order, so records stay in sequence order.
    this.#records.push(record);
    this.#notify();
    return record.sequence;
  }

  async open(topic: string, settings: GroupSettings): Promise<EventSource> {
    const name = `${settings.group} ${topic}`;
    let group = this.#groups.get(name);
    if (group === undefined) {
      const known = this.#snapshotGroups.get(name);
      const start = known?.start ?? this.#startOf(settings.from);
      group = { name, pattern: topic, cursor: start, settled: known?.settled ?? new Set(), pending: new Map(), earlier: known?.delivered ?? new Map(), keys: new Map(), waiting: new Map(), released: [] };
      this.#groups.set(name, group);
      if (known === undefined) await this.#o.persistence?.createGroup(name, start);
    }
    return this.#source(group, settings.ackWaitMs);
  }

  #startOf(from: StartFrom): number {
    if (from === 'first') return 1;
    if (from === 'last') return this.#next;
    if (typeof from === 'number') return Math.max(1, Math.floor(from));
    const at = from.getTime();
    return this.#records.find((r) => r.time >= at)?.sequence ?? this.#next;
  }

  #source(group: GroupState, ackWaitMs: number): EventSource {
    let closed = false;
    const next = async (max: number): Promise<StoredDelivery[]> => {
      const until = this.#o.clock.now() + this.#o.pollMs;
      for (;;) {
        if (closed || this.#closed) return [];
        const out = this.#collect(group, max, ackWaitMs);
        if (out.length > 0) {
          await this.#o.persistence?.delivered(group.name, out.map((d) => d.sequence));
          return out;
        }
        const now = this.#o.clock.now();
        if (now >= until) return [];
        let earliest = until;
        for (const p of group.pending.values()) earliest = Math.min(earliest, p.due);
        await this.#wait(Math.max(0, earliest - now));
      }
    };
    return {
      next,
      close: async () => {
        closed = true;
        this.#notify();
      },
    };
  }

  #collect(group: GroupState, max: number, ackWaitMs: number): StoredDelivery[] {
    const out: StoredDelivery[] = [];
    const now = this.#o.clock.now();
    for (const [sequence, p] of group.pending) {
      if (out.length >= max) return out;
      if (p.due > now) continue;
      p.count++;
      p.due = now + ackWaitMs;
      out.push(this.#delivery(group, sequence, p));
    }
    while (out.length < max && group.released.length > 0) this.#first(group, group.released.shift() as number, now, ackWaitMs, out);
    while (out.length < max && group.cursor <= this.#records.length) {
      const record = this.#records[group.cursor - 1] as StoredRecord;
      group.cursor++;
      if (group.settled.has(record.sequence) || !topicMatches(group.pattern, record.topic)) continue;
      const key = record.key;
      if (key !== undefined && group.keys.has(key)) {
        const queue = group.waiting.get(key);
        if (queue === undefined) group.waiting.set(key, [record.sequence]);
        else queue.push(record.sequence);
        continue;
      }
      this.#first(group, record.sequence, now, ackWaitMs, out);
    }
    return out;
  }

  /** The first delivery (in this process) of `sequence` to the group; its key is the group's until it is settled. */
  #first(group: GroupState, sequence: number, now: number, ackWaitMs: number, out: StoredDelivery[]): void {
    const p = { count: (group.earlier.get(sequence) ?? 0) + 1, due: now + ackWaitMs, ackWaitMs };
    group.earlier.delete(sequence);
    group.pending.set(sequence, p);
    const key = (this.#records[sequence - 1] as StoredRecord).key;
    if (key !== undefined) group.keys.set(key, sequence);
    out.push(this.#delivery(group, sequence, p));
  }

  /** `sequence` was settled: the next event waiting for its key may go. */
  #release(group: GroupState, sequence: number): void {
    const key = (this.#records[sequence - 1] as StoredRecord).key;
    if (key === undefined || group.keys.get(key) !== sequence) return;
    group.keys.delete(key);
    const queue = group.waiting.get(key);
    if (queue === undefined) return;
    const next = queue.shift() as number;
    if (queue.length === 0) group.waiting.delete(key);
    // Held by the key until it is delivered: nothing else with that key goes first.
    group.keys.set(key, next);
    group.released.push(next);
    this.#notify();
  }

  #delivery(group: GroupState, sequence: number, p: Pending): StoredDelivery {
    const r = this.#records[sequence - 1] as StoredRecord;
    const settle = async (): Promise<void> => {
      if (group.settled.has(sequence)) return;
      group.settled.add(sequence);
      group.pending.delete(sequence);
      this.#release(group, sequence);
      await this.#o.persistence?.settle(group.name, sequence);
    };
    return {
      topic: r.topic,
      sequence,
      id: r.id,
      key: r.key,
      time: r.time,
      contentType: r.contentType,
      metadata: r.metadata,
      data: r.data,
      deliveryCount: p.count,
      ack: settle,
      term: settle,
      nak: async (delayMs) => {
        if (group.pending.get(sequence) !== p) return;
        p.due = this.#o.clock.now() + delayMs;
        this.#notify();
      },
      working: async () => {
        if (group.pending.get(sequence) === p) p.due = this.#o.clock.now() + p.ackWaitMs;
      },
    };
  }

  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.#o.clock.clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = this.#o.clock.setTimeout(done, ms);
      this.#waiters.add(done);
    });
  }

  #notify(): void {
    for (const w of [...this.#waiters]) w();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#notify();
    await this.#o.persistence?.close();
  }
}

/** An event log on `options.persistence` (or in memory only). */
export function createLogEngine(options: LogEngineOptions): EventsBackend {
  return new LogEngine(options);
}
