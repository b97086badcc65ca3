import type { RemoteInfo } from 'node:dgram';
import multicastDns from 'multicast-dns';
import type { Logger } from '../../actors/logger.ts';
import { MicroError } from '../errors.ts';
import type { AdmissionStats } from './admission.ts';
import { type MdnsRegistryOptions, type ResolvedMdnsRegistryOptions, resolveMdnsRegistryOptions } from './mdns-options.ts';
import { answersFor, isLoopbackAddress, LAN_PACKET_BYTES, type LocalInstance, localInstance, type MdnsAnswer } from './mdns-packets.ts';
import { instanceRecordName, type MdnsNames, mdnsNames, serviceRecordName } from './mdns-records.ts';
import { MdnsRemoteRecords } from './mdns-remote.ts';
import type { RegisterOptions, Registry, Service, WatchEvent, Watcher, WatchOptions } from './registry.ts';
import { parseService } from './service-shape.ts';
import { ServiceTable } from './service-table.ts';
import { TimerSet } from './timer-set.ts';
import { WatchHub } from './watch-hub.ts';

export { defaultMdnsRegistryOptions, type MdnsRegistryOptions } from './mdns-options.ts';

/** What an mDNS registry holds and what admission did with the records it received. */
export interface MdnsRegistryStats extends AdmissionStats {
  /** Services (names) in the cache, this registry's own included. */
  services: number;
  /** Nodes in the cache, this registry's own included. */
  nodes: number;
}

const MULTICAST_GROUP = '224.0.0.251';
const ID = 'micromesh.registry';

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
  readonly #o: ResolvedMdnsRegistryOptions;
  readonly #names: MdnsNames;
  readonly #log: Logger;
  readonly #mdns: multicastDns.MulticastDNS;
  readonly #loopbackOnly: boolean;
  readonly #table = new ServiceTable();
  readonly #hub: WatchHub;
  readonly #local = new Map<string, LocalInstance>();
  readonly #remote: MdnsRemoteRecords;
  readonly #lookups = new Map<string, Lookup>();
  readonly #timers: TimerSet;
  readonly #ready: Promise<void>;
  readonly #warm: Promise<void>;
  #warmed: () => void = () => {};
  #refreshTimer: unknown;
  #closing: Promise<void> | undefined;
  #closed = false;

  constructor(options: MdnsRegistryOptions = {}) {
    const o = resolveMdnsRegistryOptions(options);
    this.#o = o;
    this.#names = mdnsNames(o.domain);
    this.#log = o.logger.child?.({ registry: 'mdns' }) ?? o.logger;
    this.#timers = new TimerSet(o.clock);
    this.#hub = new WatchHub({ capacity: o.watchBuffer, logger: this.#log });
    this.#remote = new MdnsRemoteRecords({
      names: this.#names,
      table: this.#table,
      clock: o.clock,
      timers: this.#timers,
      logger: this.#log,
      admit: o.admit,
      limits: o.limits,
      changed: (event) => this.#changed(event),
    });
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
        this.#timers.after(o.queryWindowMs, this.#warmed);
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
      this.#remote.forget(inst.instance, checked.name, checked.version, inst.service.nodes[0].id);
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
    await this.#admissions(name);
    const found = this.#table.get(name);
    if (found === undefined) throw new MicroError('SERVICE_NOT_FOUND', `service ${name} not found`, { id: ID });
    return found;
  }

  /**
   * Waits (bounded) for probes of records just received, so a first lookup is not answered before they are admitted:
   * of one service until it is known, or of every record (`name` undefined).
   */
  async #admissions(name: string | undefined): Promise<void> {
    const deadline = this.#o.clock.now() + this.#o.limits.admitTimeoutMs;
    while ((name === undefined || this.#table.get(name) === undefined) && this.#remote.stats().probing > 0 && this.#o.clock.now() < deadline && !this.#closed) {
      await new Promise<void>((resolve) => this.#timers.after(10, resolve));
    }
  }

  async listServices(): Promise<Service[]> {
    this.#assertOpen();
    await this.#warm;
    this.#assertOpen();
    // A process that lists once after starting (`micro services`) would otherwise see only records already admitted.
    await this.#admissions(undefined);
    this.#assertOpen();
    return this.#table.list();
  }

  forgetNode(nodeId: string, address: string): void {
    if (!this.#closed) this.#remote.forgetNode(nodeId, address);
  }

  /** What the cache holds, and what admission did with the records received (counters since start). */
  stats(): MdnsRegistryStats {
    return { ...this.#remote.stats(), services: this.#table.serviceCount, nodes: this.#table.nodeCount() };
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
    this.#timers.close();
    this.#remote.close();
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

  #changed(event: WatchEvent | undefined): void {
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
      if (record.ttl === 0 && typeof record.data === 'string') this.#remote.goodbye(record.data.toLowerCase());
      return;
    }
    if (record.type !== 'TXT') return;
    const instance = record.name.toLowerCase();
    if (!instance.endsWith(this.#names.instanceSuffix) || this.#local.has(instance)) return;
    this.#remote.onTxt(instance, record, rinfo.address);
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
      this.#timers.cancel(windowTimer);
      if (settle !== undefined) this.#timers.cancel(settle);
      if (this.#lookups.get(name) === lookup) this.#lookups.delete(name);
      resolve();
    };
    const windowTimer = this.#timers.after(this.#o.queryWindowMs, end);
    const lookup: Lookup = {
      done,
      end,
      found: () => {
        settle ??= this.#timers.after(this.#o.querySettleMs, end);
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
    if (this.#refreshTimer !== undefined) this.#timers.cancel(this.#refreshTimer);
    this.#refreshTimer = undefined;
    if (this.#local.size === 0 || this.#closed) return;
    let ttlMs = Number.POSITIVE_INFINITY;
    for (const inst of this.#local.values()) ttlMs = Math.min(ttlMs, inst.ttlMs);
    this.#refreshTimer = this.#timers.after(Math.max(10, ttlMs / 3), () => {
      this.#refreshTimer = undefined;
      void this.#send(answersFor(this.#names, [...this.#local.values()], false));
      this.#scheduleRefresh();
    });
  }
}
