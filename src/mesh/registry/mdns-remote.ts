import type { Clock } from '../../actors/clock.ts';
import type { Logger } from '../../actors/logger.ts';
import { Admission, type AdmissionStats, type AdmitProbe, type Offer, type RecordLimits } from './admission.ts';
import { type InstanceData, decodeInstance, instanceRecordName, isInstanceTxt, type MdnsNames, RecordTooLargeError } from './mdns-records.ts';
import type { WatchEvent } from './registry.ts';
import type { ServiceTable } from './service-table.ts';
import type { TimerSet } from './timer-set.ts';

// The receiving half of the mDNS registry: other nodes' instance records, from announcement to goodbye or expiry.
// Every record passes admission (limits, conflicts, the optional probe) before it reaches the shared table.

interface RemoteInstance {
  name: string;
  version: string;
  nodeId: string;
  /** Its TTL as accepted (clamped). */
  ttlMs: number;
  /** Its TXT bytes as last seen, so an unchanged refresh is recognised without decoding. */
  raw: Buffer;
}

export interface MdnsRemoteDeps {
  names: MdnsNames;
  table: ServiceTable;
  clock: Clock;
  timers: TimerSet;
  logger: Logger;
  admit: AdmitProbe | undefined;
  limits: RecordLimits;
  /** Reports a change of the table to watchers and lookups. */
  changed(event: WatchEvent | undefined): void;
}

export class MdnsRemoteRecords {
  readonly #d: MdnsRemoteDeps;
  readonly #remote = new Map<string, RemoteInstance>();
  readonly #admission: Admission<Buffer>;
  #expiryTimer: unknown;
  #expiryAt = Number.POSITIVE_INFINITY;

  constructor(deps: MdnsRemoteDeps) {
    this.#d = deps;
    this.#admission = new Admission<Buffer>({
      table: deps.table,
      clock: deps.clock,
      logger: deps.logger,
      admit: deps.admit,
      limits: deps.limits,
      accept: (offer, expiresAt) => this.#accept(offer, expiresAt),
    });
  }

  /** A TXT record under our instance suffix, for an instance this registry does not register itself. */
  onTxt(instance: string, record: { name: string; ttl?: number; data: unknown }, from: string): void {
    if (!isInstanceTxt(record.data)) {
      this.#admission.malformed({ record: record.name, from }, 'ignoring a TXT record without the micromesh marker');
      return;
    }
    if (record.ttl === 0) return this.goodbye(instance);
    const raw = Buffer.concat(record.data.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
    const known = this.#remote.get(instance);
    const now = this.#d.clock.now();
    // An unchanged refresh only moves the expiry: no decoding, no admission, no event.
    if (known?.raw.equals(raw) && this.#d.table.touch(known.name, known.version, known.nodeId, now + known.ttlMs)) {
      return this.#armExpiryBefore(now + known.ttlMs);
    }
    if (known === undefined && this.#admission.full()) return;
    let data: InstanceData;
    try {
      data = decodeInstance(record.data, this.#d.limits.maxRecordBytes);
    } catch (err) {
      if (err instanceof RecordTooLargeError) this.#admission.tooLarge({ record: record.name, from });
      else this.#admission.malformed({ err, record: record.name, from }, 'ignoring a garbled micromesh TXT record');
      return;
    }
    const { service, ttlMs, bytes } = data;
    if (instanceRecordName(this.#d.names, service.name, service.version, service.nodes[0].id) !== instance) {
      this.#admission.malformed({ record: record.name, from }, 'ignoring a TXT record whose name does not match its content');
      return;
    }
    const accepted = this.#admission.offer({ service, ttlMs, bytes, extra: raw });
    if (accepted !== undefined) this.#accept(accepted, now + accepted.ttlMs);
  }

  /** The instance said goodbye (TTL 0): it leaves at once. */
  goodbye(instance: string): void {
    const known = this.#remote.get(instance);
    if (known === undefined) return;
    this.#remote.delete(instance);
    this.#d.changed(this.#d.table.remove(known.name, known.version, [known.nodeId]));
    this.#admission.released(known.name, known.version, known.nodeId);
  }

  /** The mesh found node `nodeId` at `address` gone: its instances at that address leave at once. */
  forgetNode(nodeId: string, address: string): void {
    for (const [instance, known] of [...this.#remote]) {
      if (known.nodeId === nodeId && this.#d.table.node(known.name, known.version, nodeId)?.address === address) this.goodbye(instance);
    }
  }

  /** This registry registers that node itself from now on: what the network says of it no longer counts. */
  forget(instance: string, name: string, version: string, nodeId: string): void {
    this.#remote.delete(instance);
    this.#admission.discard(name, version, nodeId);
  }

  stats(): AdmissionStats {
    return this.#admission.stats();
  }

  close(): void {
    this.#admission.close();
    this.#remote.clear();
  }

  #accept(offer: Offer<Buffer>, expiresAt: number): void {
    const { service, ttlMs, extra } = offer;
    const nodeId = service.nodes[0].id;
    const instance = instanceRecordName(this.#d.names, service.name, service.version, nodeId);
    this.#remote.set(instance, { name: service.name, version: service.version, nodeId, ttlMs, raw: extra });
    this.#d.changed(this.#d.table.upsert(service, expiresAt));
    this.#armExpiryBefore(expiresAt);
  }

  #armExpiryBefore(at: number): void {
    if (at >= this.#expiryAt) return;
    const { timers, clock, table } = this.#d;
    timers.cancel(this.#expiryTimer);
    this.#expiryAt = at;
    this.#expiryTimer = timers.after(Math.max(0, at - clock.now()), () => {
      this.#expiryTimer = undefined;
      this.#expiryAt = Number.POSITIVE_INFINITY;
      for (const event of table.expire(clock.now())) {
        const { name, version } = event.service;
        for (const node of event.service.nodes) this.#remote.delete(instanceRecordName(this.#d.names, name, version, node.id));
        this.#d.changed(event);
        for (const node of event.service.nodes) this.#admission.released(name, version, node.id);
      }
      this.#armExpiryBefore(table.nextExpiry());
    });
  }
}
