/**
 * The Redis pub/sub broker. A topic is a channel (`channelPrefix` + topic); a pattern with `*` or `>` is a
 * PSUBSCRIBE glob (both become `*`) whose matches are checked against the topic rules, so `*` never spans a dot.
 * Every message is one structured CloudEvents JSON. Subscriptions use a dedicated subscriber connection (Redis puts
 * a subscribing connection in a mode of its own), which re-subscribes by itself after a reconnect; publishes use the
 * node's shared connection and fail fast with UNAVAILABLE (503) while Redis is away.
 *
 * Queue groups (Redis pub/sub has none): every member receives every message and the members race to claim it with
 * `SET <claimPrefix>:<group>:<topic>:<id> NX PX claimTtlMs`; the one that wins delivers it, the others drop it.
 * So a message goes to one member of the group whichever node publishes it, foreign publishers included, at the
 * cost of one SET per message and member node. A claim outlives a re-publish of the same id within `claimTtlMs`.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../../actors/index.ts';
import type { Broker, BrokerMessage, BrokerSink, BrokerSubscribeOptions, BrokerSubscription } from '../../mesh/broker/broker.ts';
import { fromStructured, toStructured } from '../../mesh/broker/cloudevents.ts';
import { hasWildcard, topicMatcher } from '../../mesh/broker/topic.ts';
import { MicroError } from '../../mesh/errors.ts';
import type { SharedLease } from '../../mesh/plugins/resources.ts';
import type { RedisBrokerOptions } from './options.ts';
import { batchWrites } from './batch.ts';
import { redisError } from './connection.ts';


interface Local {
  readonly pattern: string;
  readonly queue: string | undefined;
  readonly matches: (topic: string) => boolean;
  readonly sink: BrokerSink;
}

/** Local subscriptions by what Redis was asked for: a channel, or a glob. */
interface Key {
  readonly glob: boolean;
  readonly locals: Set<Local>;
}

export class RedisBroker implements Broker {
  readonly name = 'redis';
  readonly #lease: SharedLease<Redis>;
  readonly #sub: Redis;
  readonly #log: Logger;
  readonly #prefix: string;
  readonly #claimPrefix: string;
  readonly #claimTtlMs: number;
  readonly #keys = new Map<string, Key>();
  readonly #turns = new Map<string, number>();
  #closed = false;

  constructor(lease: SharedLease<Redis>, subscriber: Redis, log: Logger, options: RedisBrokerOptions = {}) {
    this.#lease = lease;
    this.#sub = subscriber;
    this.#log = log;
    this.#prefix = options.channelPrefix ?? '';
    this.#claimPrefix = options.claimPrefix ?? 'micro:claim';
    this.#claimTtlMs = options.claimTtlMs ?? 60_000;
    subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => this.#onMessage(channel.toString(), this.#keys.get(channel.toString()), message));
    subscriber.on('pmessageBuffer', (glob: Buffer, channel: Buffer, message: Buffer) => this.#onMessage(channel.toString(), this.#keys.get(`p ${glob.toString()}`), message));
  }

  publish(m: BrokerMessage): Promise<void> {
    if (this.#closed) return Promise.reject(new MicroError('UNAVAILABLE', 'redis broker closed'));
    batchWrites(this.#lease.value);
    return this.#lease.value.publish(this.#prefix + m.topic, toStructured(m)).then(
      () => undefined,
      (err: unknown) => {
        throw redisError(`redis: publish on ${m.topic}`, err);
      },
    );
  }

  async subscribe(pattern: string, options: BrokerSubscribeOptions, sink: BrokerSink): Promise<BrokerSubscription> {
    if (this.#closed) throw new MicroError('UNAVAILABLE', 'redis broker closed');
    const glob = hasWildcard(pattern);
    const target = this.#prefix + (glob ? pattern.replaceAll('>', '*') : pattern);
    const id = glob ? `p ${target}` : target;
    const local: Local = { pattern, queue: options.queue, matches: topicMatcher(pattern), sink };
    let key = this.#keys.get(id);
    if (key === undefined) {
      key = { glob, locals: new Set() };
      this.#keys.set(id, key);
      try {
        if (glob) await this.#sub.psubscribe(target);
        else await this.#sub.subscribe(target);
      } catch (err) {
        this.#keys.delete(id);
        throw redisError(`redis: subscribe to ${pattern}`, err);
      }
    }
    key.locals.add(local);
    return {
      pattern,
      queue: options.queue,
      unsubscribe: async () => {
        const k = this.#keys.get(id);
        if (k === undefined || !k.locals.delete(local) || k.locals.size > 0) return;
        this.#keys.delete(id);
        if (this.#closed) return;
        await (glob ? this.#sub.punsubscribe(target) : this.#sub.unsubscribe(target)).catch((err: unknown) => this.#log.warn({ pattern, err }, 'redis broker: unsubscribe failed'));
      },
    };
  }

  #onMessage(channel: string, key: Key | undefined, raw: Buffer): void {
    if (key === undefined || !channel.startsWith(this.#prefix)) return;
    const topic = channel.slice(this.#prefix.length);
    const parsed = fromStructured(topic, raw);
    let groups: Map<string, Local[]> | undefined;
    for (const l of key.locals) {
      if (key.glob && !l.matches(topic)) continue;
      if (!parsed.ok) {
        l.sink.malformed(topic, parsed.reason, raw);
      } else if (l.queue === undefined) {
        this.#deliver(l, parsed.message);
      } else {
        groups ??= new Map();
        const members = groups.get(l.queue);
        if (members === undefined) groups.set(l.queue, [l]);
        else members.push(l);
      }
    }
    if (groups === undefined || !parsed.ok) return;
    for (const [queue, members] of groups) void this.#claimThenDeliver(queue, members, parsed.message);
  }

  async #claimThenDeliver(queue: string, members: Local[], m: BrokerMessage): Promise<void> {
    let won: string | null;
    try {
      won = await this.#lease.value.set(`${this.#claimPrefix}:${queue}:${m.topic}:${m.id}`, '1', 'PX', this.#claimTtlMs, 'NX');
    } catch (err) {
      this.#log.warn({ queue, topic: m.topic, err: String(err) }, 'redis broker: queue claim failed; message left to other members');
      return;
    }
    if (won !== 'OK') return;
    const turn = this.#turns.get(queue) ?? 0;
    this.#turns.set(queue, (turn + 1) % 1_000_000_007);
    this.#deliver(members[turn % members.length] as Local, m);
  }

  #deliver(l: Local, m: BrokerMessage): void {
    try {
      l.sink.deliver(m);
    } catch (err) {
      this.#log.debug({ pattern: l.pattern, reason: MicroError.from(err).detail }, 'redis broker: delivery refused');
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#keys.clear();
    this.#sub.disconnect();
    await this.#lease.release();
  }
}

export type { RedisBrokerOptions };
