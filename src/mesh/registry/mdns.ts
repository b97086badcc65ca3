import type { RemoteInfo } from 'node:dgram';
import multicastDns from 'multicast-dns';
import { type Logger, silentLogger } from '../../actors/logger.ts';
import { MicroError } from '../errors.ts';
import { answersFor, isLoopbackAddress, LAN_PACKET_BYTES, type LocalInstance, localInstance, type MdnsAnswer } from './mdns-packets.ts';
import { decodeInstance, type InstanceData, instanceRecordName, isInstanceTxt, type MdnsNames, mdnsNames, serviceRecordName } from './mdns-records.ts';
import { type Clock, type RegisterOptions, type Registry, type Service, systemClock, type Watcher, type WatchOptions } from './registry.ts';
import { parseService } from './service-shape.ts';
import { ServiceTable } from './service-table.ts';
import { WatchHub } from './watch-hub.ts';

export interface MdnsRegistryOptions {
  /** The interface to run on; the loopback keeps a laptop's services off the LAN. @default '127.0.0.1' */
  interface?: string;
  /** UDP port; tests use a random high one so runs do not meet. @default 5353 */
  port?: number;
  /** The DNS domain records are published under. @default 'micromesh.local' */
  domain?: string;
  /** How long peers keep a node that stopped refreshing; it re-announces every ttlMs/3. @default 15000 */
  ttlMs?: number;
  /** How long a lookup for a service the cache lacks waits for answers. @default 200 */
  queryWindowMs?: number;
  /** After a lookup's first answer, how long it waits for other nodes' answers. @default 20 */
  querySettleMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  logger?: Logger;
  /** Events a watcher buffers for a slow consumer before dropping the oldest. @default 4096 */
  watchBuffer?: number;
}

export function defaultMdnsRegistryOptions(): Required<MdnsRegistryOptions> {
  return {
    interface: '127.0.0.1',
    port: 5353,
    domain: 'micromesh.local',
    ttlMs: 15_000,
    queryWindowMs: 200,
    querySettleMs: 20,
    clock: systemClock,
    logger: silentLogger,
    watchBuffer: 4096,
  };
}

const MULTICAST_GROUP = '224.0.0.251';
const ID = 'micromesh.registry';

interface RemoteInstance {
  name: string;
  version: string;
  nodeId: string;
  ttlMs: number;
  /** Its TXT bytes as last seen, so an unchanged refresh is recognised without decoding. */
  raw: Buffer;
}

interface Lookup {
  readonly done: Promise<void>;
  found(): void;
  end(): void;
}

/**
 * The embedded default registry: DNS-SD style records over multicast DNS, no server to run. Every record seen
 * (announcements, answers to anyone's query) feeds a cache that lookups and watchers read, so a known service
 * costs no network round trip; nodes announce on register and on change, refresh every ttlMs/3, say goodbye
 * (TTL 0) on deregister and close, and vanish from peers' caches after ttlMs when they crash.
 * @example
 * const registry = createMdnsRegistry();
 * await registry.register(service);
 * for await (const event of registry.watch({ service: 'greeter' })) console.log(event.type, event.service.nodes);
 */
export function createMdnsRegistry(options: MdnsRegistryOptions = {}): MdnsRegistry {
  return new MdnsRegistry(options);
}

export class MdnsRegistry implements Registry {
  readonly name = 'mdns';
  readonly #o: Required<MdnsRegistryOptions>;
  readonly #names: MdnsNames;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #mdns: multicastDns.MulticastDNS;
  readonly #loopbackOnly: boolean;
  readonly #table = new ServiceTable();
  readonly #hub: WatchHub;
  readonly #local = new Map<string, LocalInstance>();
  readonly #remote = new Map<string, RemoteInstance>();
  readonly #lookups = new Map<string, Lookup>();
  readonly #timers = new Set<unknown>();
  readonly #ready: Promise<void>;
  readonly #warm: Promise<void>;
  #warmed: () => void = () => {};
  #expiryTimer: unknown;
  #expiryAt = Number.POSITIVE_INFINITY;
  #refreshTimer: unknown;
  #closing: Promise<void> | undefined;
  #closed = false;

  constructor(options: MdnsRegistryOptions = {}) {
    const o = { ...defaultMdnsRegistryOptions(), ...options };
    if (!(o.ttlMs > 0) || !(o.queryWindowMs >= 0) || !Number.isInteger(o.port) || o.port < 1 || o.port > 65_535) {
      throw new MicroError('BAD_REQUEST', `mdns registry: bad options (port ${o.port}, ttlMs ${o.ttlMs}, queryWindowMs ${o.queryWindowMs})`, { id: ID });
    }
    this.#o = o;
    this.#names = mdnsNames(o.domain);
    this.#log = o.logger.child?.({ registry: 'mdns' }) ?? o.logger;
    this.#clock = o.clock;
    this.#hub = new WatchHub({ capacity: o.watchBuffer, logger: this.#log });
    this.#loopbackOnly = isLoopbackAddress(o.interface);
    // Bound to the group address: on Linux a socket bound to 127.0.0.1 never receives the loopback multicast.
    this.#mdns = multicastDns({ interface: o.interface, bind: MULTICAST_GROUP, port: o.port, loopback: true, reuseAddr: true });
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#mdns.once('ready', resolve);
      this.#mdns.once('error', (err: Error) => reject(new MicroError('UNAVAILABLE', `mdns registry cannot bind ${o.interface} port ${o.port}: ${err.message}`, { id: ID, cause: err })));
    });
    this.#ready.catch(() => {});
    this.#mdns.on('error', (err: Error) => this.#log.error({ err }, 'mdns socket error'));
    // A system call failing (joining the group on a wrong interface) leaves the registry deaf: worth a warning.
    // Anything else is a datagram that is not DNS, which anyone on the port may send.
    this.#mdns.on('warning', (err: Error & { syscall?: string }) => this.#log[err.syscall === undefined ? 'debug' : 'warn']({ err }, 'mdns socket warning'));
    this.#mdns.on('response', (packet: multicastDns.ResponsePacket, rinfo: RemoteInfo) => this.#onResponse(packet, rinfo));
    this.#mdns.on('query', (packet: multicastDns.QueryPacket, rinfo: RemoteInfo) => this.#onQuery(packet, rinfo));
    // Ask everyone for everything once, so listServices soon after start sees the mesh.
    this.#warm = new Promise<void>((resolve) => (this.#warmed = resolve));
    this.#ready.then(
      () => {
        if (this.#closed) return;
        this.#query(this.#names.browse);
        this.#after(o.queryWindowMs, this.#warmed);
      },
      () => this.#warmed(),
    );
  }

  /** Resolves once the socket is bound; rejects with UNAVAILABLE when it cannot be. */
  ready(): Promise<void> {
    return this.#ready;
  }

  async register(service: Service, options: RegisterOptions = {}): Promise<void> {
    this.#assertOpen();
    const checked = parseService(service);
    const ttlMs = options.ttlMs ?? this.#o.ttlMs;
    if (!(ttlMs > 0)) throw new MicroError('BAD_REQUEST', `ttlMs must be positive, got ${ttlMs}`, { id: ID });
    const instances = checked.nodes.map((node) => localInstance(this.#names, checked, node, ttlMs));
    if (instances[0].txtBytes > LAN_PACKET_BYTES) {
      this.#log.warn({ service: checked.name, bytes: instances[0].txtBytes }, 'service description is over 8000 bytes; peers on a LAN may not receive it');
    }
    await this.#ready;
    this.#assertOpen();
    for (const inst of instances) {
      this.#local.set(inst.instance, inst);
      this.#remote.delete(inst.instance);
    }
    // Our own nodes never expire from our cache: we are their authority and say goodbye ourselves.
    this.#changed(this.#table.upsert(checked, Number.POSITIVE_INFINITY));
    await this.#send(answersFor(this.#names, instances, false));
    this.#scheduleRefresh();
  }

  async deregister(service: Service): Promise<void> {
    this.#assertOpen();
    const checked = parseService(service, { requireNodes: false });
    const gone: LocalInstance[] = [];
    for (const node of checked.nodes) {
      const instance = instanceRecordName(this.#names, checked.name, checked.version, node.id);
      const local = this.#local.get(instance);
      if (local === undefined) continue;
      this.#local.delete(instance);
      gone.push(local);
    }
    if (gone.length === 0) return;
    this.#changed(this.#table.remove(checked.name, checked.version, gone.map((g) => g.service.nodes[0].id)));
    await this.#send(answersFor(this.#names, gone, true));
    this.#scheduleRefresh();
  }

  async getService(name: string): Promise<Service[]> {
    this.#assertOpen();
    const cached = this.#table.get(name);
    if (cached !== undefined) return cached;
    await this.#ready;
    this.#assertOpen();
    await this.#lookup(name);
    this.#assertOpen();
    const found = this.#table.get(name);
    if (found === undefined) throw new MicroError('SERVICE_NOT_FOUND', `service ${name} not found`, { id: ID });
    return found;
  }

  async listServices(): Promise<Service[]> {
    this.#assertOpen();
    await this.#warm;
    this.#assertOpen();
    return this.#table.list();
  }

  watch(options?: WatchOptions): Watcher {
    return !this.#closed ? this.#hub.open(options) : this.#hub.closed();
  }

  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#closed = true;
      this.#closing = this.#shutdown();
    }
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    for (const timer of this.#timers) this.#clock.clearTimeout(timer);
    this.#timers.clear();
    for (const lookup of [...this.#lookups.values()]) lookup.end();
    this.#warmed();
    const goodbyes = [...this.#local.values()];
    this.#local.clear();
    this.#hub.stopAll();
    const bound = await this.#ready.then(() => true, () => false);
    if (bound && goodbyes.length > 0) await this.#send(answersFor(this.#names, goodbyes, true));
    await new Promise<void>((resolve) => this.#mdns.destroy(resolve));
  }

  #assertOpen(): void {
    if (this.#closed) throw new MicroError('UNAVAILABLE', 'mdns registry is closed', { id: ID });
  }

  #changed(event: ReturnType<ServiceTable['upsert']>): void {
    if (event === undefined) return;
    this.#hub.emit(event);
    if (event.type !== 'delete') this.#lookups.get(event.service.name)?.found();
  }

  #onResponse(packet: multicastDns.ResponsePacket, rinfo: RemoteInfo): void {
    if (this.#closed || (this.#loopbackOnly && !isLoopbackAddress(rinfo.address))) return;
    try {
      for (const record of packet.answers ?? []) this.#onRecord(record, rinfo);
      for (const record of packet.additionals ?? []) this.#onRecord(record, rinfo);
    } catch (err) {
      this.#log.debug({ err, from: rinfo.address }, 'ignoring an mdns response that could not be read');
    }
  }

  #onRecord(record: MdnsAnswer, rinfo: RemoteInfo): void {
    if (record.type === 'PTR') {
      // A PTR goodbye alone (another implementation's) still removes the instance.
      if (record.ttl === 0 && typeof record.data === 'string') this.#goodbye(record.data.toLowerCase());
      return;
    }
    if (record.type !== 'TXT') return;
    const instance = record.name.toLowerCase();
    if (!instance.endsWith(this.#names.instanceSuffix)) return;
    if (!isInstanceTxt(record.data)) {
      this.#log.debug({ record: record.name, from: rinfo.address }, 'ignoring a TXT record without the micromesh marker');
      return;
    }
    if (this.#local.has(instance)) return;
    if (record.ttl === 0) return this.#goodbye(instance);
    const raw = Buffer.concat(record.data.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
    const known = this.#remote.get(instance);
    const now = this.#clock.now();
    // An unchanged refresh only moves the expiry: no decoding, no event.
    if (known?.raw.equals(raw) && this.#table.touch(known.name, known.version, known.nodeId, now + known.ttlMs)) {
      return this.#armExpiryBefore(now + known.ttlMs);
    }
    let data: InstanceData;
    try {
      data = decodeInstance(record.data);
    } catch (err) {
      this.#log.debug({ err, record: record.name, from: rinfo.address }, 'ignoring a garbled micromesh TXT record');
      return;
    }
    const { service, ttlMs } = data;
    const nodeId = service.nodes[0].id;
    if (instanceRecordName(this.#names, service.name, service.version, nodeId) !== instance) {
      this.#log.debug({ record: record.name, from: rinfo.address }, 'ignoring a TXT record whose name does not match its content');
      return;
    }
    this.#remote.set(instance, { name: service.name, version: service.version, nodeId, ttlMs, raw });
    this.#changed(this.#table.upsert(service, now + ttlMs));
    this.#armExpiryBefore(now + ttlMs);
  }

  #goodbye(instance: string): void {
    const known = this.#remote.get(instance);
    if (known === undefined) return;
    this.#remote.delete(instance);
    this.#changed(this.#table.remove(known.name, known.version, [known.nodeId]));
  }

  #onQuery(packet: multicastDns.QueryPacket, rinfo: RemoteInfo): void {
    if (this.#closed || this.#local.size === 0 || (this.#loopbackOnly && !isLoopbackAddress(rinfo.address))) return;
    const matches = new Set<LocalInstance>();
    for (const question of packet.questions ?? []) {
      const type: string = question.type;
      if (type !== 'PTR' && type !== 'TXT' && type !== 'ANY') continue;
      const name = String(question.name).toLowerCase();
      if (name === this.#names.browse) for (const inst of this.#local.values()) matches.add(inst);
      else if (name.endsWith(this.#names.subSuffix)) for (const inst of this.#local.values()) inst.sub === name && matches.add(inst);
      else {
        const inst = this.#local.get(name);
        if (inst !== undefined) matches.add(inst);
      }
    }
    if (matches.size > 0) void this.#send(answersFor(this.#names, [...matches], false));
  }

  // Concurrent lookups of one name share a query; the first answer ends it after a short settle for the others.
  #lookup(name: string): Promise<void> {
    const pending = this.#lookups.get(name);
    if (pending !== undefined) return pending.done;
    let resolve!: () => void;
    const done = new Promise<void>((r) => {
      resolve = r;
    });
    let settle: unknown;
    const end = (): void => {
      this.#cancel(windowTimer);
      if (settle !== undefined) this.#cancel(settle);
      if (this.#lookups.get(name) === lookup) this.#lookups.delete(name);
      resolve();
    };
    const windowTimer = this.#after(this.#o.queryWindowMs, end);
    const lookup: Lookup = {
      done,
      end,
      found: () => {
        settle ??= this.#after(this.#o.querySettleMs, end);
      },
    };
    this.#lookups.set(name, lookup);
    this.#query(serviceRecordName(this.#names, name));
    return done;
  }

  #query(name: string): void {
    this.#mdns.query({ questions: [{ name, type: 'PTR' }] }, (err) => {
      if (err) this.#log.warn({ err, name }, 'mdns query not sent');
    });
  }

  #send(packets: MdnsAnswer[][]): Promise<void> {
    const sends = packets.map(
      (answers) =>
        new Promise<void>((resolve) => {
          this.#mdns.respond({ answers }, (err) => {
            if (err) this.#log.warn({ err }, 'mdns announcement not sent');
            resolve();
          });
        }),
    );
    return Promise.all(sends).then(() => {});
  }

  // Peers drop a node after its TTL: refresh every ttl/3 (the shortest of ours), so two lost packets are survived.
  #scheduleRefresh(): void {
    if (this.#refreshTimer !== undefined) this.#cancel(this.#refreshTimer);
    this.#refreshTimer = undefined;
    if (this.#local.size === 0 || this.#closed) return;
    let ttlMs = Number.POSITIVE_INFINITY;
    for (const inst of this.#local.values()) ttlMs = Math.min(ttlMs, inst.ttlMs);
    this.#refreshTimer = this.#after(Math.max(10, ttlMs / 3), () => {
      this.#refreshTimer = undefined;
      void this.#send(answersFor(this.#names, [...this.#local.values()], false));
      this.#scheduleRefresh();
    });
  }

  #armExpiryBefore(at: number): void {
    if (at >= this.#expiryAt) return;
    if (this.#expiryTimer !== undefined) this.#cancel(this.#expiryTimer);
    this.#expiryAt = at;
    this.#expiryTimer = this.#after(Math.max(0, at - this.#clock.now()), () => {
      this.#expiryTimer = undefined;
      this.#expiryAt = Number.POSITIVE_INFINITY;
      for (const event of this.#table.expire(this.#clock.now())) {
        for (const node of event.service.nodes) this.#remote.delete(instanceRecordName(this.#names, event.service.name, event.service.version, node.id));
        this.#changed(event);
      }
      this.#armExpiryBefore(this.#table.nextExpiry());
    });
  }

  #after(ms: number, fn: () => void): unknown {
    if (ms === Number.POSITIVE_INFINITY || this.#closed) return undefined;
    const timer = this.#clock.setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
    return timer;
  }

  #cancel(timer: unknown): void {
    this.#clock.clearTimeout(timer);
    this.#timers.delete(timer);
  }
}
