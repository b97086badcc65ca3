/**
 * Events on Redis Streams. A topic is the stream `<prefix>:<topic>`; each entry holds one structured CloudEvents JSON
 * in its `data` field (what Dapr reads and writes) and, when there is any, the metadata as a JSON object in
 * `metadata`. A group is a consumer group; each member a consumer with a stable name (`<node id>-<n>`), so that after
 * a crash it reads back its own pending entries first. Abandoned deliveries are taken over by an XAUTOCLAIM loop
 * once idle for the ack wait; Redis' delivery counter drives maxDeliver. `working()` and `nak(delay)` reset an
 * entry's idle time with XCLAIM … JUSTID (which keeps the counter).
 *
 * Per-key order across members: an event published with a key is stored with `prev`, the id of the entry published
 * before it with that key (the appending script reads and updates `<prefix>:keys:<topic>`, a hash of each key's last
 * entry id, in the same step as XADD, so concurrent publishers form one chain). A member runs such an event once
 * `prev` is no longer pending in its group: acked or dead-lettered wherever it was delivered, never delivered to the
 * group (it came before the group started), or trimmed away. It waits on its own deliveries without a round trip and
 * asks XPENDING about other members'.
 *
 * Sequences: an entry id `<ms>-<n>` is the number ms·1024 + n (exact while a stream takes under 1024 entries per
 * millisecond).
 */
import type { Redis } from 'ioredis';
import { type Clock, processClock } from '../../actors/clock.ts';
import { MicroError } from '../../mesh/errors.ts';
import { dataBytes, fromStructured, toStructured } from '../../mesh/events/cloudevents.ts';
import type { EventSource, EventsBackend, GroupSettings, OutgoingEvent, StartFrom, StoredDelivery } from '../../mesh/events/events.ts';
import type { RedisEventsOptions } from './events-options.ts';
import type { SharedLease } from '../../mesh/plugins/resources.ts';
import { TurnWaits } from '../../mesh/events/turns.ts';
import { batchWrites } from './batch.ts';
import { redisError } from './connection.ts';
import { redisScript, runScript } from './scripts.ts';


const SPAN = 1024;
const ENTRY_ID = /^\d{1,20}-\d{1,20}$/;
const MAX_SEQ = '18446744073709551615';

/** `1712345678901-3` → 1712345678901·1024 + 3. */
export function sequenceOf(id: string): number {
  const [ms, n] = id.split('-');
  return Number(ms) * SPAN + Number(n);
}

/** A `prev` field as read: '' (the first of its key), an entry id before `id`, or else (a foreign writer's) none. */
function predecessor(prev: string, id: string): string | undefined {
  return prev === '' || (ENTRY_ID.test(prev) && sequenceOf(prev) < sequenceOf(id)) ? prev : undefined;
}

/** The id just before sequence `s` (a group created there reads `s` first). */
function idBefore(s: number): string {
  const ms = Math.floor(s / SPAN);
  const n = s % SPAN;
  return n > 0 ? `${ms}-${n - 1}` : ms > 0 ? `${ms - 1}-${MAX_SEQ}` : '0';
}

/**
 * KEYS: stream, dedup key or '', key index or ''. ARGV: data, metadata or '', dedup window, event key. With a key
 * index the entry gets `prev`, the id last stored with the event key ('' for the first), and becomes that id.
 */
const APPEND = redisScript(`
if KEYS[2] ~= '' then
  local seen = redis.call('GET', KEYS[2])
  if seen then return seen end
end
local fields = {'data', ARGV[1]}
if ARGV[2] ~= '' then fields[#fields + 1] = 'metadata'; fields[#fields + 1] = ARGV[2] end
if KEYS[3] ~= '' then
  fields[#fields + 1] = 'prev'
  fields[#fields + 1] = redis.call('HGET', KEYS[3], ARGV[4]) or ''
end
local id = redis.call('XADD', KEYS[1], '*', unpack(fields))
if KEYS[3] ~= '' then redis.call('HSET', KEYS[3], ARGV[4], id) end
if KEYS[2] ~= '' then redis.call('SET', KEYS[2], id, 'PX', ARGV[3]) end
return id`);

type Entry = [id: string, fields: string[]];

/** A Redis delivery: the stored delivery and the `prev` entry id its key's order hangs on ('' for none). */
interface RedisDelivery extends StoredDelivery {
  readonly prev: string | undefined;
}

class RedisEvents implements EventsBackend {
  readonly name = 'redis';
  readonly wildcards = false;
  readonly #lease: SharedLease<Redis>;
  readonly #o: Required<RedisEventsOptions>;
  readonly #sources = new Set<EventSource>();

  constructor(lease: SharedLease<Redis>, options: RedisEventsOptions) {
    this.#lease = lease;
    this.#o = { prefix: 'micro:events', duplicateWindowMs: 120_000, pollMs: 1000, clock: processClock, ...options };
  }

  #key(topic: string): string {
    return `${this.#o.prefix}:${topic}`;
  }

  async append(event: OutgoingEvent): Promise<number> {
    const redis = this.#lease.value;
    const body = toStructured(event);
    const metadata = Object.keys(event.metadata).length === 0 ? '' : JSON.stringify(event.metadata);
    try {
      const key = this.#key(event.topic);
      let id: string;
      batchWrites(redis);
      if (event.dedupe || event.key !== undefined) {
        const dedup = event.dedupe ? `${this.#o.prefix}:dedup:${event.topic}:${event.id}` : '';
        const index = event.key === undefined ? '' : `${this.#o.prefix}:keys:${event.topic}`;
        id = String(await runScript(redis, APPEND, [key, dedup, index], [body, metadata, String(this.#o.duplicateWindowMs), event.key ?? '']));
      } else {
        id = (await (metadata === '' ? redis.xadd(key, '*', 'data', body) : redis.xadd(key, '*', 'data', body, 'metadata', metadata))) as string;
      }
      return sequenceOf(id);
    } catch (err) {
      throw redisError(`redis events: publish to ${event.topic}`, err);
    }
  }

  async open(topic: string, settings: GroupSettings): Promise<EventSource> {
    const key = this.#key(topic);
    const redis = this.#lease.value;
    try {
      await redis.xgroup('CREATE', key, settings.group, startId(settings.from), 'MKSTREAM');
    } catch (err) {
      if (!/BUSYGROUP/.test(String((err as Error)?.message))) throw redisError(`redis events: cannot create group ${settings.group} on ${topic}`, err);
    }
    const blocking = redis.duplicate();
    // Its failures reach the reader as rejected commands; without a listener ioredis would report them as unhandled.
    blocking.on('error', () => {});
    const source = new GroupReader(redis, blocking, { topic, key, group: settings.group, consumer: settings.member, ackWaitMs: settings.ackWaitMs, pollMs: this.#o.pollMs, clock: this.#o.clock }, () => {
      this.#sources.delete(source);
    });
    this.#sources.add(source);
    return source;
  }

  async close(): Promise<void> {
    for (const s of [...this.#sources]) await s.close();
    await this.#lease.release();
  }
}

function startId(from: StartFrom): string {
  if (from === 'first') return '0';
  if (from === 'last') return '$';
  if (typeof from === 'number') return idBefore(from);
  return idBefore(from.getTime() * SPAN);
}

interface ReaderPlan {
  readonly topic: string;
  readonly key: string;
  readonly group: string;
  readonly consumer: string;
  readonly ackWaitMs: number;
  readonly pollMs: number;
  readonly clock: Clock;
}

/** One member's reads: its own pending entries first (after a crash), then abandoned ones by XAUTOCLAIM, then new ones. */
class GroupReader implements EventSource {
  readonly #redis: Redis;
  /** XREADGROUP … BLOCK holds its connection, so each reader has one of its own. */
  readonly #blocking: Redis;
  readonly #p: ReaderPlan;
  readonly #onClose: () => void;
  #history: string | undefined = '0';
  #claimCursor = '0-0';
  #lastClaim = 0;
  #closed = false;
  readonly #turns: TurnWaits<string>;

  constructor(redis: Redis, blocking: Redis, plan: ReaderPlan, onClose: () => void) {
    this.#redis = redis;
    this.#blocking = blocking;
    this.#p = plan;
    this.#onClose = onClose;
    this.#turns = new TurnWaits(plan.pollMs, plan.clock);
  }

  async next(max: number): Promise<StoredDelivery[]> {
    if (this.#closed) return [];
    const { key, group, ackWaitMs, pollMs } = this.#p;
    try {
      if (this.#history !== undefined) {
        const own = await this.#read(this.#redis, ['COUNT', max, 'STREAMS', key, this.#history]);
        const last = own.at(-1);
        this.#history = last === undefined ? undefined : last[0];
        const live = own.filter((e) => e[1] !== null);
        if (live.length > 0) return this.#withCounts(live);
        if (own.length > 0) return [];
      }
      if (this.#p.clock.now() - this.#lastClaim >= Math.min(pollMs, ackWaitMs / 2)) {
        const claimed = await this.#claim(max);
        if (claimed.length > 0) return claimed;
      }
      const fresh = await this.#read(this.#blocking, ['COUNT', max, 'BLOCK', Math.max(1, Math.min(pollMs, ackWaitMs / 2)), 'STREAMS', key, '>']);
      return fresh.map((e) => this.#delivery(e, 1));
    } catch (err) {
      if (this.#closed) return [];
      throw redisError(`redis events: reading ${this.#p.topic} as ${group}`, err);
    }
  }

  async reclaim(max: number): Promise<StoredDelivery[]> {
    if (this.#closed) return [];
    try {
      return await this.#claim(max);
    } catch (err) {
      if (this.#closed) return [];
      throw redisError(`redis events: taking over deliveries of ${this.#p.topic} as ${this.#p.group}`, err);
    }
  }

  /** Takes over entries idle for the ack wait (abandoned by a member that died or hung), from where the last claim ended. */
  async #claim(max: number): Promise<StoredDelivery[]> {
    const { key, group, consumer, ackWaitMs } = this.#p;
    this.#lastClaim = this.#p.clock.now();
    const [cursor, claimed] = (await this.#redis.xautoclaim(key, group, consumer, ackWaitMs, this.#claimCursor, 'COUNT', max)) as [string, Entry[]];
    this.#claimCursor = cursor;
    const live = claimed.filter((e) => e !== null && e[1] !== null);
    return live.length > 0 ? this.#withCounts(live) : [];
  }

  turn(delivery: StoredDelivery): Promise<void> | undefined {
    const prev = (delivery as RedisDelivery).prev;
    if (prev === undefined || prev === '') return undefined;
    return this.#turns.wait(prev, () => this.#notPending(prev));
  }

  /** Whether entry `prev` is out of the group's pending list: acked, dead-lettered, never delivered, or trimmed. */
  async #notPending(prev: string): Promise<boolean> {
    const { key, group } = this.#p;
    try {
      return ((await this.#redis.xpending(key, group, prev, prev, 1)) as unknown[]).length === 0;
    } catch (err) {
      if (this.#closed) return true;
      throw redisError(`redis events: reading the turn of ${this.#p.topic} in ${group}`, err);
    }
  }

  async #read(redis: Redis, args: Array<string | number>): Promise<Entry[]> {
    const reply = (await redis.call('XREADGROUP', 'GROUP', this.#p.group, this.#p.consumer, ...args)) as [string, Entry[]] | Array<[string, Entry[]]> | null;
    if (reply === null || reply.length === 0) return [];
    // One stream read: some client versions give [key, entries], others [[key, entries]].
    return (typeof reply[0] === 'string' ? reply[1] : (reply[0] as [string, Entry[]])[1]) as Entry[];
  }

  /** Deliveries of entries read again, with Redis' delivery counter of each. */
  async #withCounts(entries: Entry[]): Promise<StoredDelivery[]> {
    const first = entries[0]?.[0] as string;
    const last = entries.at(-1)?.[0] as string;
    const pending = (await this.#redis.xpending(this.#p.key, this.#p.group, first, last, entries.length * 2, this.#p.consumer)) as Array<[string, string, number, number]>;
    const counts = new Map(pending.map(([id, , , n]) => [id, n]));
    return entries.map((e) => this.#delivery(e, Math.max(1, counts.get(e[0]) ?? 1)));
  }

  #delivery([id, fields]: Entry, deliveryCount: number): StoredDelivery {
    let body: string | undefined;
    let meta: string | undefined;
    let prev: string | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i] === 'data') body = fields[i + 1];
      else if (fields[i] === 'metadata') meta = fields[i + 1];
      else if (fields[i] === 'prev') prev = predecessor(fields[i + 1] as string, id);
    }
    let metadata: Record<string, string> = {};
    let malformed: string | undefined;
    if (meta !== undefined) {
      try {
        const parsed = JSON.parse(meta) as unknown;
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
          for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') metadata[k] = v;
        } else malformed = 'the metadata field is not a JSON object';
      } catch {
        malformed = 'the metadata field is not JSON';
      }
    }
    const ce = body === undefined ? undefined : fromStructured(body, metadata);
    if (ce === undefined) malformed = 'the stream entry has no data field';
    else if (ce.malformed !== undefined) malformed = ce.malformed;
    metadata = { ...metadata };
    const sequence = sequenceOf(id);
    const { key, group, consumer, ackWaitMs } = this.#p;
    const redis = this.#redis;
    let bytes: Uint8Array | undefined;
    if (prev !== undefined) this.#turns.delivered(id);
    const settle = async (): Promise<void> => {
      // The acks of a batch's handlers, sent in one tick, leave in one write.
      batchWrites(redis);
      const acked = redis.xack(key, group, id);
      // The next event of the key may run once the ack is on its way: this member's later commands follow it.
      if (prev !== undefined) this.#turns.settled(id);
      await acked.catch((err: unknown) => {
        throw redisError('redis events: ack', err);
      });
    };
    const delivery: RedisDelivery = {
      prev,
      topic: this.#p.topic,
      sequence,
      id: ce?.id ?? id,
      key: ce?.key,
      time: ce?.time ?? Math.floor(sequence / SPAN),
      contentType: ce?.contentType ?? 'application/octet-stream',
      metadata,
      get data() {
        bytes ??= ce === undefined ? new Uint8Array(0) : dataBytes(ce);
        return bytes;
      },
      malformed,
      decoded: malformed === undefined ? ce?.value : undefined,
      deliveryCount,
      ack: settle,
      term: settle,
      working: async () => {
        await redis.xclaim(key, group, consumer, 0, id, 'JUSTID').catch(() => {});
      },
      nak: async (delayMs) => {
        // Idle as if abandoned `ackWaitMs - delayMs` ago: the claim loop takes it back after `delayMs`.
        await redis.xclaim(key, group, consumer, 0, id, 'IDLE', Math.max(0, Math.floor(ackWaitMs - delayMs)), 'JUSTID').catch(() => {});
        if (delayMs < this.#p.pollMs) this.#lastClaim = 0;
      },
    };
    return delivery;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#turns.close();
    this.#onClose();
    this.#blocking.disconnect();
  }
}

/** Events on Redis Streams over the shared connection `lease`. */
export function createRedisEvents(lease: SharedLease<Redis>, options: RedisEventsOptions = {}): EventsBackend {
  if (options.prefix !== undefined && !/^[A-Za-z0-9:_.-]+$/.test(options.prefix)) throw new MicroError('BAD_REQUEST', `redis events prefix ${JSON.stringify(options.prefix)}: letters, digits, :, _, . and -`);
  return new RedisEvents(lease, options);
}
