import { type Clock, systemClock } from '../../actors/clock.ts';
import { type Logger, silentLogger } from '../../actors/logger.ts';
import { MicroError } from '../errors.ts';
import { Admission, type AdmissionStats, type Offer } from './admission.ts';
import { decodeRecord, type DecodedRecord, encodeRecord, hashOf, RecordOverLimitError, recordKey } from './linked-records.ts';
import type { CheckResult, LinkedRegistryOptions, LinkHost, LocalRecord, RegistryLink } from './registry-link.ts';

export type { CheckResult, LinkedRegistryOptions, LinkHost, LocalRecord, RegistryLink } from './registry-link.ts';
import type { RegisterOptions, Registry, Service, WatchEvent, Watcher, WatchOptions } from './registry.ts';
import { parseService } from './service-shape.ts';
import { ServiceTable } from './service-table.ts';
import { TimerSet } from './timer-set.ts';
import { WatchHub } from './watch-hub.ts';

interface RemoteEntry {
  name: string;
  version: string;
  nodeId: string;
  hash: string;
  ttlMs: number;
  /** Its heartbeats stopped and the link was asked about its node. */
  checking?: boolean;
  /** When that question was asked (clock ms). */
  checkedAt?: number;
  /** The host's sequence number when it was last put or kept alive. */
  seen: number;
}

/** What an engine-backed registry holds and what admission did with the records it received. */
export interface LinkedRegistryStats extends AdmissionStats {
  services: number;
  nodes: number;
}

/**
 * A registry over an engine (NATS, Redis): every record seen feeds a local cache that lookups and watchers read, so
 * a lookup costs no network round trip; own records are announced on change, refreshed every ttlMs/3 and removed
 * on deregister and close. Records from the engine pass admission (limits, conflicts, the optional probe); garbled
 * ones, and ones whose content does not match their key, are dropped and logged.
 */
export class LinkedRegistry implements Registry {
  readonly name: string;
  readonly #link: RegistryLink;
  readonly #ttlMs: number;
  readonly #goodbyeMs: number;
  readonly #missWaitMs: number;
  /** Lookups waiting for a name to be announced. */
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #table = new ServiceTable();
  readonly #hub: WatchHub;
  readonly #admission: Admission<string>;
  readonly #local = new Map<string, LocalRecord>();
  readonly #remote = new Map<string, RemoteEntry>();
  readonly #timers: TimerSet;
  readonly #ready: Promise<void>;
  #refreshTimer: unknown;
  #expiryTimer: unknown;
  #expiryAt = Number.POSITIVE_INFINITY;
  #closing: Promise<void> | undefined;
  #closed = false;
  /** Orders puts against listings (see LinkHost.mark). */
  #seq = 0;

  constructor(link: RegistryLink, options: LinkedRegistryOptions = {}) {
    this.name = link.name;
    this.#link = link;
    this.#ttlMs = options.ttlMs ?? 2400;
    if (!(this.#ttlMs > 0)) throw new MicroError('BAD_REQUEST', `${link.name} registry: ttlMs must be positive, got ${this.#ttlMs}`, { id: ID });
    this.#goodbyeMs = options.goodbyeTimeoutMs ?? 1000;
    this.#missWaitMs = options.missWaitMs ?? 100;
    this.#clock = options.clock ?? systemClock;
    const logger = options.logger ?? silentLogger;
    this.#log = logger.child?.({ registry: link.name }) ?? logger;
    this.#timers = new TimerSet(this.#clock);
    this.#hub = new WatchHub({ capacity: options.watchBuffer, logger: this.#log });
    this.#admission = new Admission<string>({
      table: this.#table,
      clock: this.#clock,
      logger: this.#log,
      admit: options.admit,
      limits: options.limits,
      // Admitted later (a probe agreed): it expires as this link's records do, not at admission's idea of a TTL.
      accept: (offer) => this.#accept(offer, this.#expiry(offer.ttlMs)),
    });
    this.#ready = link.open(this.#host());
    this.#ready.catch(() => {});
  }

  /** Resolves once the link is subscribed and the cache holds what the engine had; rejects when it cannot connect. */
  ready(): Promise<void> {
    return this.#ready;
  }

  async register(service: Service, options: RegisterOptions = {}): Promise<void> {
    this.#assertOpen();
    const checked = parseService(service);
    const ttlMs = options.ttlMs ?? this.#ttlMs;
    if (!(ttlMs > 0)) throw new MicroError('BAD_REQUEST', `ttlMs must be positive, got ${ttlMs}`, { id: ID });
    await this.#ready;
    this.#assertOpen();
    const changed: LocalRecord[] = [];
    for (const node of checked.nodes) {
      const record = { ...encodeRecord(checked, node, ttlMs), ttlMs };
      if (this.#local.get(record.key)?.hash === record.hash) continue;
      this.#local.set(record.key, record);
      this.#remote.delete(record.key);
      this.#admission.discard(checked.name, checked.version, node.id);
      changed.push(record);
    }
    // Our own nodes never expire from our cache: we are their authority.
    this.#changed(this.#table.upsert(checked, Number.POSITIVE_INFINITY));
    await Promise.all(changed.map((r) => this.#link.publish(r)));
    this.#scheduleRefresh();
  }

  async deregister(service: Service): Promise<void> {
    this.#assertOpen();
    const checked = parseService(service, { requireNodes: false });
    const keys: string[] = [];
    const ids: string[] = [];
    for (const node of checked.nodes) {
      const key = recordKey(checked.name, checked.version, node.id);
      if (!this.#local.delete(key)) continue;
      keys.push(key);
      ids.push(node.id);
    }
    if (keys.length === 0) return;
    this.#changed(this.#table.remove(checked.name, checked.version, ids));
    await this.#link.remove(keys);
    this.#scheduleRefresh();
  }

  async getService(name: string): Promise<Service[]> {
    this.#assertOpen();
    const cached = this.#table.get(name);
    if (cached !== undefined) return cached;
    await this.#ready;
    this.#assertOpen();
    const found = this.#table.get(name) ?? (await this.#announced(name)) ?? (await this.#admitted(name));
    if (found === undefined) throw new MicroError('SERVICE_NOT_FOUND', `service ${name} not found`, { id: ID });
    return found;
  }

  async listServices(): Promise<Service[]> {
    this.#assertOpen();
    await this.#ready;
    this.#assertOpen();
    return this.#table.list();
  }

  watch(options?: WatchOptions): Watcher {
    return this.#closed ? this.#hub.closed() : this.#hub.open(options);
  }

  /**
   * A first-hand hint: the node `nodeId` at `address` dropped its connection and cannot be dialled again. Its records
   * at that address leave this cache now; an announcement or heartbeat of it brings them back.
   */
  forgetNode(nodeId: string, address: string): void {
    for (const [key, entry] of [...this.#remote]) {
      if (entry.nodeId !== nodeId || this.#table.node(entry.name, entry.version, nodeId)?.address !== address) continue;
      this.#drop(key, entry);
    }
  }

  stats(): LinkedRegistryStats {
    return { ...this.#admission.stats(), services: this.#table.serviceCount, nodes: this.#table.nodeCount() };
  }

  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#closed = true;
      this.#closing = this.#shutdown();
    }
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#timers.close();
    for (const waiters of [...this.#waiters.values()]) for (const done of [...waiters]) done();
    this.#admission.close();
    this.#hub.stopAll();
    const goodbyes = [...this.#local.keys()];
    this.#local.clear();
    const opened = await this.#ready.then(() => true, () => false);
    if (opened && goodbyes.length > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const bounded = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.#goodbyeMs);
      });
      await Promise.race([this.#link.remove(goodbyes).catch((err: unknown) => this.#log.warn({ err }, 'registry goodbye not sent')), bounded]);
      clearTimeout(timer);
    }
    await this.#link.close();
  }

  /** Waits up to missWaitMs for `name` to appear in the cache. */
  #announced(name: string): Promise<Service[] | undefined> {
    if (this.#missWaitMs <= 0) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiters = this.#waiters.get(name) ?? new Set<() => void>();
      this.#waiters.set(name, waiters);
      const done = () => {
        this.#timers.cancel(timer);
        waiters.delete(done);
        if (waiters.size === 0 && this.#waiters.get(name) === waiters) this.#waiters.delete(name);
        resolve(this.#table.get(name));
      };
      const timer = this.#timers.after(this.#missWaitMs, done);
      waiters.add(done);
      if (timer === undefined) done();
    });
  }

  /** Waits (bounded) for probes of records just received, so a first lookup is not answered before they are admitted. */
  async #admitted(name: string): Promise<Service[] | undefined> {
    const deadline = this.#clock.now() + this.#admission.limits.admitTimeoutMs;
    while (this.#table.get(name) === undefined && this.#admission.stats().probing > 0 && this.#clock.now() < deadline && !this.#closed) {
      await new Promise<void>((resolve) => this.#timers.after(10, resolve));
    }
    return this.#table.get(name);
  }

  #assertOpen(): void {
    if (this.#closed) throw new MicroError('UNAVAILABLE', `${this.name} registry is closed`, { id: ID });
  }

  #changed(event: WatchEvent | undefined): void {
    if (event === undefined) return;
    this.#hub.emit(event);
    if (event.type !== 'delete') for (const done of [...(this.#waiters.get(event.service.name) ?? [])]) done();
  }

  #host(): LinkHost {
    return {
      log: this.#log,
      put: (key, data) => this.#put(key, data),
      alive: (key, hash) => this.#alive(key, hash),
      gone: (key) => {
        const entry = this.#remote.get(key);
        if (entry !== undefined) this.#drop(key, entry);
      },
      mark: () => ++this.#seq,
      snapshot: (records, mark) => {
        const seen = new Set<string>();
        for (const [key, data] of records) {
          seen.add(key);
          this.#put(key, data);
        }
        for (const [key, entry] of [...this.#remote]) if (!seen.has(key) && entry.seen <= mark) this.#drop(key, entry);
      },
      locals: () => [...this.#local.values()],
    };
  }

  #put(key: string, data: string): void {
    if (this.#closed || this.#local.has(key)) return;
    const known = this.#remote.get(key);
    const hash = hashOf(data);
    // An unchanged record only moves its expiry.
    if (known?.hash === hash && this.#alive(key, hash)) return;
    if (known === undefined && this.#admission.full()) return;
    let decoded: DecodedRecord;
    try {
      decoded = decodeRecord(key, data, this.#admission.limits.maxRecordBytes);
    } catch (err) {
      if (err instanceof RecordOverLimitError) this.#admission.tooLarge({ key: key.slice(0, 200) });
      else this.#admission.malformed({ err, key: key.slice(0, 200) }, 'ignoring a registry record that could not be read or does not match its key');
      return;
    }
    const accepted = this.#admission.offer({ service: decoded.service, ttlMs: decoded.ttlMs, bytes: decoded.bytes, extra: hash });
    if (accepted !== undefined) this.#accept(accepted, this.#expiry(accepted.ttlMs));
  }

  #alive(key: string, hash: string): boolean {
    if (this.#local.has(key)) return true;
    const known = this.#remote.get(key);
    if (known === undefined || known.hash !== hash) return false;
    known.checking = false;
    known.seen = ++this.#seq;
    const expiresAt = this.#expiry(known.ttlMs);
    if (!this.#table.touch(known.name, known.version, known.nodeId, expiresAt)) return false;
    this.#armExpiryBefore(expiresAt);
    return true;
  }

  #expiry(ttlMs: number): number {
    if (!this.#link.localExpiry) return Number.POSITIVE_INFINITY;
    return this.#clock.now() + (this.#link.check === undefined ? ttlMs : ttlMs / 2);
  }

  /**
   * Silent nodes not checked yet get a check of their node, and a whole TTL for its answer, which decides (a loaded
   * event loop or a server going away may delay it); with no answer they leave at the rest of their TTL.
   */
  #checkSilent(now: number): void {
    const check = this.#link.check?.bind(this.#link);
    if (check === undefined) return;
    const silent = new Map<string, RemoteEntry[]>();
    for (const entry of this.#remote.values()) {
      if (entry.checking || (this.#table.expiresAt(entry.name, entry.version, entry.nodeId) ?? Number.POSITIVE_INFINITY) > now) continue;
      entry.checking = true;
      entry.checkedAt = now;
      this.#table.touch(entry.name, entry.version, entry.nodeId, now + entry.ttlMs);
      const list = silent.get(entry.nodeId) ?? [];
      list.push(entry);
      silent.set(entry.nodeId, list);
    }
    for (const [nodeId, entries] of silent) {
      void check(
        nodeId,
        entries.map((e) => recordKey(e.name, e.version, e.nodeId)),
      ).then(
        (state) => this.#checked(state, entries),
        () => {},
      );
    }
  }

  #checked(state: CheckResult, entries: RemoteEntry[]): void {
    if (this.#closed) return;
    for (const entry of entries) {
      const key = recordKey(entry.name, entry.version, entry.nodeId);
      if (this.#remote.get(key) !== entry || !entry.checking) continue;
      if (state === 'unknown') {
        // No answer: the entry leaves at the rest of its TTL, as if the check had not been asked.
        const leaveAt = Math.max(this.#clock.now(), (entry.checkedAt ?? 0) + entry.ttlMs / 2);
        this.#table.touch(entry.name, entry.version, entry.nodeId, leaveAt);
        this.#armExpiryBefore(leaveAt);
        continue;
      }
      if (state === 'gone') {
        this.#drop(key, entry);
        continue;
      }
      entry.checking = false;
      const expiresAt = this.#expiry(entry.ttlMs);
      this.#table.touch(entry.name, entry.version, entry.nodeId, expiresAt);
      this.#armExpiryBefore(expiresAt);
    }
  }

  #accept(offer: Offer<string>, expiresAt: number): void {
    if (this.#closed) return;
    const { service, ttlMs } = offer;
    const node = service.nodes[0];
    const key = recordKey(service.name, service.version, node.id);
    if (this.#local.has(key)) return;
    this.#remote.set(key, { name: service.name, version: service.version, nodeId: node.id, hash: offer.extra, ttlMs, seen: ++this.#seq });
    this.#changed(this.#table.upsert(service, expiresAt));
    this.#armExpiryBefore(expiresAt);
  }

  #drop(key: string, entry: RemoteEntry): void {
    this.#remote.delete(key);
    this.#changed(this.#table.remove(entry.name, entry.version, [entry.nodeId]));
    this.#admission.released(entry.name, entry.version, entry.nodeId);
  }

  #armExpiryBefore(at: number): void {
    if (at >= this.#expiryAt) return;
    this.#timers.cancel(this.#expiryTimer);
    this.#expiryAt = at;
    this.#expiryTimer = this.#timers.after(Math.max(0, at - this.#clock.now()), () => {
      this.#expiryTimer = undefined;
      this.#expiryAt = Number.POSITIVE_INFINITY;
      // One instant for both: an entry that falls due between two readings would leave unchecked.
      const now = this.#clock.now();
      this.#checkSilent(now);
      for (const event of this.#table.expire(now)) {
        const { name, version } = event.service;
        for (const node of event.service.nodes) this.#remote.delete(recordKey(name, version, node.id));
        this.#changed(event);
        for (const node of event.service.nodes) this.#admission.released(name, version, node.id);
      }
      this.#armExpiryBefore(this.#table.nextExpiry());
    });
  }

  // Each refresh after the previous one settled, every third of the shortest TTL of our records.
  #scheduleRefresh(): void {
    if (this.#refreshTimer !== undefined || this.#local.size === 0 || this.#closed) return;
    let ttlMs = Number.POSITIVE_INFINITY;
    for (const r of this.#local.values()) ttlMs = Math.min(ttlMs, r.ttlMs);
    this.#refreshTimer = this.#timers.after(Math.max(10, ttlMs / 3), () => {
      void this.#link
        .refresh([...this.#local.values()])
        .catch((err: unknown) => this.#log.warn({ err }, 'registry refresh failed'))
        .finally(() => {
          this.#refreshTimer = undefined;
          this.#scheduleRefresh();
        });
    });
  }
}

const ID = 'micromesh.registry';
