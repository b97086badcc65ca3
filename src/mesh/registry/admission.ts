import type { Clock } from '../../actors/clock.ts';
import type { Logger } from '../../actors/logger.ts';
import { type AdmitCandidate, type AdmitProbe, ProbeQueue, probeKey } from './admission-probes.ts';
import { LogThrottle } from './log-throttle.ts';
import type { Service } from './registry.ts';
import type { ServiceTable } from './service-table.ts';

// What a registry accepts from a network anyone can write to (mDNS today; NATS and Redis later): each record
// names one node of one service version. Limits keep a flood from growing the table past fixed sizes; a record
// claiming a known node with another address is held aside instead of replacing it; and with an `admit` probe,
// no record from the network enters the table before its address has answered as its node. The registry's own
// registrations never pass through here: they always fit.

export type { AdmitCandidate, AdmitProbe } from './admission-probes.ts';

/** Bounds on what a registry takes from the network. */
export interface RecordLimits {
  /** Services (names) in the table; a record of a new service past this is dropped. @default 1024 */
  maxServices: number;
  /** Nodes of one service, across its versions. @default 256 */
  maxNodesPerService: number;
  /** Nodes of every service together. @default 4096 */
  maxRecords: number;
  /** A longer TTL in a record is cut to this. @default 300000 */
  maxTtlMs: number;
  /** One record's decoded size (its JSON: metadata, endpoints, address). @default 65536 */
  maxRecordBytes: number;
  /** The service's and the node's metadata of one record, keys and values together. @default 8192 */
  maxMetadataBytes: number;
  /** `admit` probes running at once. @default 16 */
  admitConcurrency: number;
  /**
   * Probes waiting for a slot; past it a record is dropped until it is announced again. Records held aside (waiting
   * for a probe, or without admit for the node they conflict with) are bounded by this plus admitConcurrency.
   * @default 1024
   */
  admitQueue: number;
  /** Probe answers cached per (node id, address), yes and no together. @default 16384 */
  admitCacheSize: number;
  /** How long a yes is trusted, so re-announcements and restarts do not probe again. @default 60000 */
  admittedCacheMs: number;
  /** How long a no is trusted, so a flood of the same forged records is probed once. @default 30000 */
  rejectedCacheMs: number;
  /** A probe not settled by then counts as a no. @default 5000 */
  admitTimeoutMs: number;
}

export function defaultRecordLimits(): RecordLimits {
  return {
    maxServices: 1024,
    maxNodesPerService: 256,
    maxRecords: 4096,
    maxTtlMs: 300_000,
    maxRecordBytes: 65_536,
    maxMetadataBytes: 8192,
    admitConcurrency: 16,
    admitQueue: 1024,
    admitCacheSize: 16_384,
    admittedCacheMs: 60_000,
    rejectedCacheMs: 30_000,
    admitTimeoutMs: 5000,
  };
}

/** Counters of what admission did with the records it was offered, and two gauges (`held`, `probing`). */
export interface AdmissionStats {
  /** Records taken into the table: new nodes, changes of known ones, conflicts admitted. */
  accepted: number;
  /** Records claiming a known node (same service, version and id) with another address. */
  conflicts: number;
  /** Conflicts that replaced a node's address: `admit` agreed, or without it the node they conflicted with left. */
  replaced: number;
  /** `admit` calls started. */
  probes: number;
  /** Probes that answered yes. */
  admitted: number;
  /** Records refused because their address did not answer as their node (a probe's no, or a cached one). */
  rejected: number;
  /** Records dropped because the probe queue, or the records held aside, were full. */
  queueFull: number;
  /** Records of a new service dropped at `maxServices`. */
  droppedServices: number;
  /** Records of a new node dropped at `maxNodesPerService`. */
  droppedNodes: number;
  /** Records of a new node dropped at `maxRecords`. */
  droppedRecords: number;
  /** Records over `maxRecordBytes` or `maxMetadataBytes`. */
  tooLarge: number;
  /** Records whose TTL was cut to `maxTtlMs`. */
  ttlClamped: number;
  /** Records that could not be read (garbled, wrong types, not matching their name). */
  malformed: number;
  /** Records held aside now. */
  held: number;
  /** Probes queued or running now. */
  probing: number;
}

type Counter = Exclude<keyof AdmissionStats, 'probes' | 'held' | 'probing'>;

/** A record received from the network: one node of one checked service version. */
export interface Offer<T> {
  service: Service;
  ttlMs: number;
  /** Its decoded size, checked against `maxRecordBytes`. */
  bytes: number;
  /** What the back end keeps with an accepted record (mDNS: its raw TXT data). */
  extra: T;
}

export interface AdmissionDeps<T> {
  table: ServiceTable;
  clock: Clock;
  logger: Logger;
  admit?: AdmitProbe;
  limits?: Partial<RecordLimits>;
  /** Puts a record admitted later (a probe agreed, or the node it conflicted with left) into the table. */
  accept(offer: Offer<T>, expiresAt: number): void;
}

interface Held<T> {
  offer: Offer<T>;
  expiresAt: number;
}

/** Longer names, versions, node ids or addresses are no registration's: the record is malformed. */
const MAX_FIELD_CHARS = 1024;

const recordKey = (s: Service): string => `${s.name}\u0000${s.version}\u0000${s.nodes[0].id}`;

export class Admission<T> {
  readonly limits: RecordLimits;
  readonly #d: AdmissionDeps<T>;
  readonly #log: LogThrottle;
  readonly #probes: ProbeQueue | undefined;
  readonly #held = new Map<string, Held<T>>();
  /** Record keys waiting on each probe. */
  readonly #waiting = new Map<string, Set<string>>();
  readonly #counts: Record<Counter, number>;
  #sweepAt = Number.NEGATIVE_INFINITY;

  constructor(deps: AdmissionDeps<T>) {
    this.#d = deps;
    const l = { ...defaultRecordLimits(), ...deps.limits };
    this.limits = l;
    this.#log = new LogThrottle(deps.logger, deps.clock);
    const zero = { accepted: 0, conflicts: 0, replaced: 0, admitted: 0, rejected: 0, queueFull: 0 };
    this.#counts = { ...zero, droppedServices: 0, droppedNodes: 0, droppedRecords: 0, tooLarge: 0, ttlClamped: 0, malformed: 0 };
    this.#probes =
      deps.admit === undefined
        ? undefined
        : new ProbeQueue({
            probe: deps.admit,
            clock: deps.clock,
            concurrency: l.admitConcurrency,
            queue: l.admitQueue,
            cacheSize: l.admitCacheSize,
            admittedMs: l.admittedCacheMs,
            rejectedMs: l.rejectedCacheMs,
            timeoutMs: l.admitTimeoutMs,
            onResult: (node, ok) => this.#probed(node, ok),
            onError: (node, err) => this.#log.warn({ err, node: node.id, address: node.address }, 'registry admission probe failed'),
          });
  }

  /**
   * Decides on a record just received: returns it (its TTL clamped) when it goes into the table now, undefined
   * when it was dropped or is held aside (then `accept` may get it later). The back end never offers records of
   * its own registrations: those go into the table directly.
   */
  offer(received: Offer<T>): Offer<T> | undefined {
    const { service } = received;
    const node = service.nodes[0];
    if (Math.max(service.name.length, service.version.length, node.id.length, node.address.length) > MAX_FIELD_CHARS) {
      this.malformed({ service: service.name.slice(0, 64), node: node.id.slice(0, 64) }, 'ignoring a record with an absurdly long name, version, node id or address');
      return undefined;
    }
    if (received.bytes > this.limits.maxRecordBytes || metadataBytes(service) > this.limits.maxMetadataBytes) {
      return this.#drop('tooLarge', service, received.bytes);
    }
    let offer = received;
    if (received.ttlMs > this.limits.maxTtlMs) {
      this.#counts.ttlClamped++;
      offer = { ...received, ttlMs: this.limits.maxTtlMs };
    }
    const known = this.#d.table.node(service.name, service.version, node.id);
    if (known?.address === node.address) return this.#accepted(offer);
    if (known !== undefined) this.#counts.conflicts++;
    else if (this.#overLimit(service)) return undefined;
    if (this.#probes === undefined) {
      // Without a probe, the node the table knows wins until it leaves; then `released` promotes this one.
      if (known !== undefined) this.#hold(offer);
      return known === undefined ? this.#accepted(offer) : undefined;
    }
    const answer = this.#probes.cached(node.id, node.address);
    if (answer === false) return this.#rejected(offer);
    if (answer === true) {
      if (known !== undefined) this.#replacing(node.id, known.address);
      return this.#accepted(offer);
    }
    if (this.#hold(offer)) this.#probe(offer);
    return undefined;
  }

  /** A node left the table (goodbye, expiry): a record held aside for it may take its place. */
  released(service: string, version: string, nodeId: string): void {
    if (this.#probes !== undefined) return; // a held record waits for its probe, which decides alone
    const key = `${service}\u0000${version}\u0000${nodeId}`;
    const held = this.#held.get(key);
    if (held === undefined) return;
    this.#held.delete(key);
    if (held.expiresAt > this.#d.clock.now() && this.#admitHeld(held)) this.#counts.replaced++;
  }

  /** The registry itself now registers that node: nothing from the network replaces it. */
  discard(service: string, version: string, nodeId: string): void {
    const key = `${service}\u0000${version}\u0000${nodeId}`;
    const held = this.#held.get(key);
    if (held === undefined) return;
    this.#held.delete(key);
    this.#unwait(key, held);
  }

  /** True, counting the drop, when the table holds `maxRecords` nodes: an unknown record need not be decoded. */
  full(): boolean {
    if (this.#d.table.nodeCount() < this.limits.maxRecords) return false;
    this.#counts.droppedRecords++;
    this.#log.warn({ limit: 'maxRecords', max: this.limits.maxRecords, dropped: this.#counts.droppedRecords }, 'registry records dropped over a limit');
    return true;
  }

  /** Counts and logs (at debug, throttled) a record that could not be read. */
  malformed(fields: Record<string, unknown>, message: string): void {
    this.#counts.malformed++;
    this.#log.debug(fields, message);
  }

  /** Counts and logs a record over `maxRecordBytes` found while decoding it. */
  tooLarge(fields: Record<string, unknown>): void {
    this.#counts.tooLarge++;
    this.#log.warn({ ...fields, max: this.limits.maxRecordBytes, dropped: this.#counts.tooLarge }, 'registry record too large; dropped');
  }

  stats(): AdmissionStats {
    return { ...this.#counts, probes: this.#probes?.started ?? 0, held: this.#held.size, probing: this.#probes?.pending ?? 0 };
  }

  close(): void {
    this.#probes?.close();
    this.#held.clear();
    this.#waiting.clear();
  }

  #accepted(offer: Offer<T>): Offer<T> {
    this.#counts.accepted++;
    return offer;
  }

  #rejected(offer: Offer<T>): undefined {
    this.#counts.rejected++;
    const node = offer.service.nodes[0];
    this.#log.warn(
      { service: offer.service.name, node: node.id, address: node.address, rejected: this.#counts.rejected },
      'registry records rejected: their address did not answer as their node',
    );
    return undefined;
  }

  #drop(counter: 'tooLarge' | 'droppedServices' | 'droppedNodes' | 'droppedRecords', service: Service, bytes?: number): undefined {
    this.#counts[counter]++;
    const fields = { service: service.name, node: service.nodes[0].id, limit: counter, dropped: this.#counts[counter] };
    if (counter === 'tooLarge') this.#log.warn({ ...fields, bytes }, 'registry record too large; dropped');
    else this.#log.warn(fields, 'registry records dropped over a limit');
    return undefined;
  }

  /** Drops a record of a new node past a limit, and says which. */
  #overLimit(service: Service): boolean {
    const { table } = this.#d;
    const ofService = table.nodeCount(service.name);
    if (ofService === 0 && table.serviceCount >= this.limits.maxServices) this.#drop('droppedServices', service);
    else if (ofService >= this.limits.maxNodesPerService) this.#drop('droppedNodes', service);
    else if (table.nodeCount() >= this.limits.maxRecords) this.#drop('droppedRecords', service);
    else return false;
    return true;
  }

  /** Keeps the newest record for its key aside; false (counted) when too many are held already. */
  #hold(offer: Offer<T>): boolean {
    const key = recordKey(offer.service);
    const now = this.#d.clock.now();
    const before = this.#held.get(key);
    // Held records wait for a probe (running or queued) or, without admit, for the node they conflict with.
    const maxHeld = this.limits.admitQueue + this.limits.admitConcurrency;
    if (before === undefined && this.#held.size >= maxHeld) {
      this.#sweep(now);
      if (this.#held.size >= maxHeld) {
        this.#counts.queueFull++;
        this.#log.warn({ limit: 'admitQueue', max: this.limits.admitQueue, dropped: this.#counts.queueFull }, 'registry records dropped over a limit');
        return false;
      }
    }
    if (before !== undefined && before.offer.service.nodes[0].address !== offer.service.nodes[0].address) this.#unwait(key, before);
    this.#held.set(key, { offer, expiresAt: now + offer.ttlMs });
    return true;
  }

  // Held records whose own TTL ran out are dead weight; looking for them costs a pass, so at most once a second.
  #sweep(now: number): void {
    if (now < this.#sweepAt) return;
    this.#sweepAt = now + 1000;
    for (const [key, held] of this.#held) {
      if (held.expiresAt > now) continue;
      this.#held.delete(key);
      this.#unwait(key, held);
    }
  }

  #probe(offer: Offer<T>): void {
    const { service } = offer;
    const node = service.nodes[0];
    const key = recordKey(service);
    const pk = probeKey(node.id, node.address);
    let waiting = this.#waiting.get(pk);
    if (waiting === undefined) {
      const known = this.#d.table.node(service.name, service.version, node.id)?.address;
      const candidate = known === undefined ? { id: node.id, address: node.address, service: service.name } : { id: node.id, address: node.address, service: service.name, known };
      if (!(this.#probes as ProbeQueue).request(candidate)) {
        this.#held.delete(key);
        this.#counts.queueFull++;
        this.#log.warn({ limit: 'admitQueue', max: this.limits.admitQueue, dropped: this.#counts.queueFull }, 'registry records dropped over a limit');
        return;
      }
      waiting = new Set();
      this.#waiting.set(pk, waiting);
    }
    waiting.add(key);
  }

  #unwait(key: string, held: Held<T>): void {
    const node = held.offer.service.nodes[0];
    const pk = probeKey(node.id, node.address);
    const waiting = this.#waiting.get(pk);
    waiting?.delete(key);
    if (waiting?.size === 0) this.#waiting.delete(pk);
  }

  #probed(node: AdmitCandidate, ok: boolean): void {
    if (ok) this.#counts.admitted++;
    const pk = probeKey(node.id, node.address);
    const keys = this.#waiting.get(pk);
    this.#waiting.delete(pk);
    const now = this.#d.clock.now();
    for (const key of keys ?? []) {
      const held = this.#held.get(key);
      if (held?.offer.service.nodes[0].address !== node.address) continue;
      this.#held.delete(key);
      if (!ok) this.#rejected(held.offer);
      else if (held.expiresAt > now) this.#admitHeld(held);
    }
  }

  #admitHeld(held: Held<T>): boolean {
    const { service } = held.offer;
    const node = service.nodes[0];
    const known = this.#d.table.node(service.name, service.version, node.id);
    if (known !== undefined && known.address !== node.address) this.#replacing(node.id, known.address);
    else if (known === undefined && this.#overLimit(service)) return false;
    this.#counts.accepted++;
    this.#d.accept(held.offer, held.expiresAt);
    return true;
  }

  // Two addresses cannot both be a node: the one replaced is asked again next time it is claimed.
  #replacing(nodeId: string, oldAddress: string): void {
    this.#counts.replaced++;
    this.#probes?.forget(nodeId, oldAddress);
  }
}

/** Keys and values of the service's and the node's metadata, in UTF-16 units (bytes for ASCII). */
function metadataBytes(service: Service): number {
  let n = 0;
  for (const meta of [service.metadata, service.nodes[0].metadata]) for (const key in meta) n += key.length + meta[key].length;
  return n;
}
