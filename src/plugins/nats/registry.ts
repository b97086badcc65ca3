/**
 * The NATS registry: records on core NATS subjects, no JetStream. A node announces a record when it changes
 * (`<prefix>.put`), sends one small heartbeat of key and hash per refresh for all its records (`<prefix>.beat`),
 * and says goodbye (`<prefix>.bye`). A node that starts asks everyone once (`<prefix>.query`, answers to its own
 * inbox only); a heartbeat of a record it lacks or holds in another version makes it ask for that record alone.
 * A node whose heartbeats stop is checked after half its TTL with a request on its own subject
 * (`<prefix>.alive.<node>`): the server answers "no responders" at once when the node's connection is gone, so a
 * dead node leaves every cache then (1.2 s by default); one that answers is kept; one that does not answer leaves at
 * its TTL (2.4 s by default).
 */
import type { Msg, NatsConnection, Subscription } from 'nats';
import { type Clock, systemClock } from '../../actors/clock.ts';
import type { LinkHost, LocalRecord, RegistryLink } from '../../mesh/registry/linked.ts';
import { type CheckResult, LinkedRegistry, type LinkedRegistryOptions } from '../../mesh/registry/linked.ts';
import { parseRecordKey } from '../../mesh/registry/linked-records.ts';
import type { PluginFactory } from '../../mesh/plugins/plugin.ts';
import type { SharedLease } from '../../mesh/plugins/resources.ts';
import { redactUrl } from '../../mesh/plugins/target.ts';
import { registryBase, registryUrlSettings } from '../registry-settings.ts';
import { type NatsConnectionOptions, natsError, shareNats } from './connection.ts';

/** Where a bare `nats` points (the plugin's DEFAULT_NATS_URL). */
const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

export interface NatsRegistryOptions extends LinkedRegistryOptions {
  /** Subject prefix; registries with the same prefix see each other. @default 'micro.registry' */
  prefix?: string;
  /** How long a starting registry collects answers to its first query before it counts as warm. @default 250 */
  queryWindowMs?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** A key asked for is not asked for again sooner than this. */
const REASK_MS = 1000;
/** How long a node whose heartbeats stopped has to answer that it is alive. */
const CHECK_TIMEOUT_MS = 500;

class NatsRegistryLink implements RegistryLink {
  readonly name = 'nats';
  readonly localExpiry = true;
  readonly #lease: SharedLease<NatsConnection>;
  readonly #prefix: string;
  readonly #windowMs: number;
  /** The registry's clock: its first query's window, the liveness check's timeout and the batching of asks. */
  readonly #clock: Clock;
  readonly #subs: Subscription[] = [];
  readonly #asked = new Map<string, number>();
  readonly #alive = new Set<string>();
  #host!: LinkHost;
  #inbox = '';
  #pending = new Set<string>();
  #askTimer: unknown;
  #offRenewed: (() => void) | undefined;
  /** Cut from the server: silence of others says nothing then. */
  #offline = false;
  #closed = false;

  constructor(lease: SharedLease<NatsConnection>, options: NatsRegistryOptions) {
    this.#lease = lease;
    this.#prefix = options.prefix ?? 'micro.registry';
    this.#windowMs = options.queryWindowMs ?? 250;
    this.#clock = options.clock ?? systemClock;
  }

  get #nc(): NatsConnection {
    return this.#lease.value;
  }

  async open(host: LinkHost): Promise<void> {
    this.#host = host;
    await this.#subscribe().catch((err: unknown) => {
      throw natsError('nats registry: cannot subscribe', err);
    });
    this.#offRenewed = this.#lease.onRenewed?.(() => void this.#renewed());
    await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, this.#windowMs));
  }

  /** Subscribes on the connection there is now, then asks everyone for their records. */
  async #subscribe(): Promise<void> {
    const nc = this.#nc;
    for (const sub of this.#subs.splice(0)) sub.unsubscribe();
    this.#inbox = `_INBOX.${nc.info?.client_id ?? ''}.${Math.random().toString(36).slice(2)}`;
    const p = this.#prefix;
    this.#sub(`${p}.put`, (m) => this.#onPut(m));
    this.#sub(`${p}.beat`, (m) => this.#onBeat(m));
    this.#sub(`${p}.bye`, (m) => this.#onBye(m));
    this.#sub(`${p}.query`, (m) => this.#onQuery(m));
    this.#sub(this.#inbox, (m) => this.#onPut(m));
    for (const nodeId of this.#alive) this.#sub(this.#aliveSubject(nodeId), (m) => m.respond());
    await nc.flush();
    this.#offline = false;
    void this.#watchStatus(nc);
    this.#send(`${p}.query`, {}, this.#inbox);
  }

  // The connection's actor replaced a connection that failed for good: subscribe on the new one, announce again.
  async #renewed(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#subscribe();
      const locals = this.#host.locals();
      if (locals.length > 0) this.#send(`${this.#prefix}.put`, { r: locals.map((r) => [r.key, r.data]) });
    } catch (err) {
      this.#host.log.warn({ err }, 'nats registry: cannot subscribe on the new connection');
    }
  }

  /** Each node this registry registers answers on its own subject while its connection lives. */
  #listenAlive(record: LocalRecord): void {
    const nodeId = parseRecordKey(record.key)?.nodeId;
    if (nodeId === undefined || this.#alive.has(nodeId)) return;
    this.#alive.add(nodeId);
    this.#sub(this.#aliveSubject(nodeId), (m) => m.respond());
  }

  #aliveSubject(nodeId: string): string {
    return `${this.#prefix}.alive.${nodeId.replace(/[^A-Za-z0-9_-]/g, (c) => `~${c.charCodeAt(0).toString(16)}`)}`;
  }

  async publish(record: LocalRecord): Promise<void> {
    this.#listenAlive(record);
    this.#send(`${this.#prefix}.put`, { r: [[record.key, record.data]] });
  }

  async refresh(records: LocalRecord[]): Promise<void> {
    this.#send(`${this.#prefix}.beat`, { r: records.map((r) => [r.key, r.hash]) });
  }

  async check(nodeId: string, keys: string[]): Promise<CheckResult> {
    if (this.#closed || this.#nc.isClosed() || this.#offline) return 'offline';
    try {
      await this.#nc.request(this.#aliveSubject(nodeId), undefined, { timeout: CHECK_TIMEOUT_MS });
      return 'alive';
    } catch (err) {
      // The server went away, or is going (a server shutting down answers "no responders" for connections it
      // already closed): that says nothing about the node, whose record is kept. Asked of the server itself, since
      // the client may not have reported the disconnect yet.
      if (this.#closed || this.#offline || !(await this.#serverAnswers())) return 'offline';
      if ((err as { code?: unknown }).code !== '503') return 'unknown';
      // No one listens for that node any more: tell everyone at once, so that peers slower to notice drop it too.
      this.#send(`${this.#prefix}.bye`, { k: keys });
      return 'gone';
    }
  }

  /** Whether the server answers a ping within the check timeout. */
  async #serverAnswers(): Promise<boolean> {
    if (this.#nc.isClosed()) return false;
    let timer: unknown;
    const late = new Promise<boolean>((resolve) => {
      timer = this.#clock.setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
    });
    try {
      return await Promise.race([this.#nc.flush().then(() => !this.#offline, () => false), late]);
    } finally {
      this.#clock.clearTimeout(timer);
    }
  }

  async remove(keys: string[]): Promise<void> {
    // Not flushed: while the server is away the client buffers it, and a goodbye must never hold up a stop.
    this.#send(`${this.#prefix}.bye`, { k: keys });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#offRenewed?.();
    if (this.#askTimer !== undefined) this.#clock.clearTimeout(this.#askTimer);
    for (const sub of this.#subs.splice(0)) sub.unsubscribe();
    await this.#lease.release();
  }

  #sub(subject: string, handle: (m: Msg) => void): void {
    this.#subs.push(
      this.#nc.subscribe(subject, {
        callback: (err, msg) => {
          if (err !== null || this.#closed) return;
          try {
            handle(msg);
          } catch (e) {
            this.#host.log.debug({ err: e, subject }, 'ignoring a registry message that could not be read');
          }
        },
      }),
    );
  }

  #send(subject: string, body: unknown, reply?: string): void {
    if (this.#closed || this.#nc.isClosed()) return;
    this.#nc.publish(subject, encoder.encode(JSON.stringify(body)), reply === undefined ? undefined : { reply });
  }

  // After a reconnect (the server restarted): announce our records again and ask for everyone's.
  async #watchStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (this.#closed || nc !== this.#nc) return;
      if (s.type === 'disconnect') this.#offline = true;
      if (s.type !== 'reconnect') continue;
      this.#offline = false;
      const locals = this.#host.locals();
      if (locals.length > 0) this.#send(`${this.#prefix}.put`, { r: locals.map((r) => [r.key, r.data]) });
      this.#send(`${this.#prefix}.query`, {}, this.#inbox);
    }
  }

  #onPut(m: Msg): void {
    for (const [key, data] of pairs(json(m).r)) this.#host.put(key, data);
  }

  #onBeat(m: Msg): void {
    for (const [key, hash] of pairs(json(m).r)) if (!this.#host.alive(key, hash)) this.#ask(key);
  }

  #onBye(m: Msg): void {
    const keys = json(m).k;
    if (!Array.isArray(keys)) return;
    const mine = new Set(this.#host.locals().map((r) => r.key));
    for (const key of keys) {
      if (typeof key !== 'string') continue;
      // Someone said goodbye for a record of ours: say it again, so that peers take it back at once.
      if (mine.has(key)) this.#republish(key);
      else this.#host.gone(key);
    }
  }

  #onQuery(m: Msg): void {
    if (m.reply === undefined || m.reply === '' || m.reply === this.#inbox) return;
    const keys = json(m).k;
    const wanted = Array.isArray(keys) ? new Set(keys) : undefined;
    const records = this.#host.locals().filter((r) => wanted === undefined || wanted.has(r.key));
    if (records.length > 0) this.#send(m.reply, { r: records.map((r) => [r.key, r.data]) });
  }

  #republish(key: string): void {
    const record = this.#host.locals().find((r) => r.key === key);
    if (record !== undefined) void this.publish(record);
  }

  // Asks for records we heard a heartbeat of but do not hold, batched per tick and at most once a second per key.
  #ask(key: string): void {
    const now = this.#clock.now();
    const asked = this.#asked.get(key);
    if (asked !== undefined && asked > now - REASK_MS) return;
    this.#asked.set(key, now);
    if (this.#asked.size > 10_000) this.#asked.clear();
    this.#pending.add(key);
    this.#askTimer ??= this.#clock.setTimeout(() => {
      this.#askTimer = undefined;
      const keys = [...this.#pending];
      this.#pending = new Set();
      this.#send(`${this.#prefix}.query`, { k: keys }, this.#inbox);
    }, 5);
  }
}

function json(m: Msg): Record<string, unknown> {
  const value: unknown = JSON.parse(decoder.decode(m.data));
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** The `[string, string]` pairs of a message field; anything else in it is skipped. */
function pairs(value: unknown): Array<[string, string]> {
  if (!Array.isArray(value)) return [];
  return value.filter((p): p is [string, string] => Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'string');
}

/**
 * A registry on the NATS connection of `lease`; closing it releases the lease.
 * @example
 * const registry = createNatsRegistry(await shareNats(url, ctx), { prefix: 'micro.registry' });
 */
export function createNatsRegistry(lease: SharedLease<NatsConnection>, options: NatsRegistryOptions = {}): LinkedRegistry {
  return new LinkedRegistry(new NatsRegistryLink(lease, options), options);
}

declare module '../../mesh/plugins/concerns.ts' {
  interface RegistryConcernOptions {
    /** Settings of the `nats` registry; a URL's `?prefix=&ttlMs=` override them. @default {} */
    nats?: NatsRegistryOptions & NatsConnectionOptions;
  }
}

/** The `nats` registry factory, for the nats plugin. */
export function natsRegistryFactory(): PluginFactory<'registry'> {
  return {
    concern: 'registry',
    name: 'nats',
    schemes: ['nats'],
    description: 'core NATS subjects, heartbeats and a watch-fed cache; nats://host:4222?prefix=micro.registry&ttlMs=2400',
    create: async (target, ctx) => {
      const url = target.url ?? new URL(DEFAULT_NATS_URL);
      const settings = { ...registryBase(ctx), ...ctx.options.nats, ...registryUrlSettings('nats', url) };
      const registry = createNatsRegistry(await shareNats(url, ctx, settings), settings);
      await registry.ready().catch(async (err: unknown) => {
        await registry.close();
        throw natsError(`nats registry: cannot start on ${redactUrl(url.href)}`, err);
      });
      return registry;
    },
  };
}
