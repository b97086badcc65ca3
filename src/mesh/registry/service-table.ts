import type { Endpoint, RegistryNode, Service, WatchEvent } from './registry.ts';
import { sameJson } from './service-shape.ts';

// The state behind every registry here: name → version → nodes, each node with an expiry time. Writers get back
// the watch event their change caused (or none for a pure refresh); readers get frozen snapshots, cached until the
// next change, so a hot lookup allocates nothing and the same array comes back while nothing changed (the hash
// selector keys its ring cache on it).

interface NodeEntry {
  node: RegistryNode;
  expiresAt: number;
}

interface VersionEntry {
  name: string;
  version: string;
  metadata: Record<string, string>;
  endpoints: Endpoint[];
  nodes: Map<string, NodeEntry>;
  snapshot: Service | undefined;
}

const NO_SERVICES: Service[] = Object.freeze([]) as unknown as Service[];

export class ServiceTable {
  readonly #byName = new Map<string, Map<string, VersionEntry>>();
  readonly #nameSnapshots = new Map<string, Service[]>();
  /** Nodes per service name, across its versions, and in all: what record limits are checked against. */
  readonly #nodeCounts = new Map<string, number>();
  #nodes = 0;
  #listSnapshot: Service[] | undefined;

  /** Adds or updates the nodes of a checked (frozen) service; `expiresAt` is Infinity for no TTL. */
  upsert(service: Service, expiresAt: number): WatchEvent | undefined {
    let versions = this.#byName.get(service.name);
    if (versions === undefined) {
      versions = new Map();
      this.#byName.set(service.name, versions);
    }
    let entry = versions.get(service.version);
    const created = entry === undefined;
    let changed = created;
    if (entry === undefined) {
      entry = { name: service.name, version: service.version, metadata: service.metadata, endpoints: service.endpoints, nodes: new Map(), snapshot: undefined };
      versions.set(service.version, entry);
    } else if (!sameJson(entry.metadata, service.metadata) || !sameJson(entry.endpoints, service.endpoints)) {
      entry.metadata = service.metadata;
      entry.endpoints = service.endpoints;
      changed = true;
    }
    for (const node of service.nodes) {
      const known = entry.nodes.get(node.id);
      if (known === undefined) {
        entry.nodes.set(node.id, { node, expiresAt });
        this.#count(service.name, 1);
        changed = true;
      } else {
        known.expiresAt = expiresAt;
        if (known.node.address !== node.address || !sameJson(known.node.metadata, node.metadata)) {
          known.node = node;
          changed = true;
        }
      }
    }
    if (!changed) return undefined;
    this.#invalidate(entry);
    return { type: created ? 'create' : 'update', service: this.#snapshot(entry) };
  }

  /** Removes nodes by id; the event lists the ones that were there. */
  remove(name: string, version: string, nodeIds: Iterable<string>): WatchEvent | undefined {
    const entry = this.#byName.get(name)?.get(version);
    if (entry === undefined) return undefined;
    const removed: RegistryNode[] = [];
    for (const id of nodeIds) {
      const known = entry.nodes.get(id);
      if (known === undefined) continue;
      entry.nodes.delete(id);
      removed.push(known.node);
    }
    if (removed.length === 0) return undefined;
    this.#count(name, -removed.length);
    this.#afterRemoval(entry);
    return { type: 'delete', service: deleted(entry, removed) };
  }

  /** Drops every node whose expiry is at or before `now`: one delete event per version. */
  expire(now: number): WatchEvent[] {
    const events: WatchEvent[] = [];
    for (const versions of [...this.#byName.values()]) {
      for (const entry of [...versions.values()]) {
        let removed: RegistryNode[] | undefined;
        for (const [id, known] of entry.nodes) {
          if (known.expiresAt > now) continue;
          entry.nodes.delete(id);
          (removed ??= []).push(known.node);
        }
        if (removed === undefined) continue;
        this.#count(entry.name, -removed.length);
        this.#afterRemoval(entry);
        events.push({ type: 'delete', service: deleted(entry, removed) });
      }
    }
    return events;
  }

  /** The earliest expiry of any node, Infinity when none expires. */
  nextExpiry(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const versions of this.#byName.values()) {
      for (const entry of versions.values()) {
        for (const known of entry.nodes.values()) if (known.expiresAt < next) next = known.expiresAt;
      }
    }
    return next;
  }

  /** Every version of a service, or undefined when nothing serves it. */
  get(name: string): Service[] | undefined {
    const cached = this.#nameSnapshots.get(name);
    if (cached !== undefined) return cached;
    const versions = this.#byName.get(name);
    if (versions === undefined) return undefined;
    const snapshot = Object.freeze([...versions.values()].map((e) => this.#snapshot(e))) as Service[];
    this.#nameSnapshots.set(name, snapshot);
    return snapshot;
  }

  list(): Service[] {
    if (this.#listSnapshot !== undefined) return this.#listSnapshot;
    if (this.#byName.size === 0) return NO_SERVICES;
    const all: Service[] = [];
    for (const name of this.#byName.keys()) all.push(...(this.get(name) ?? []));
    this.#listSnapshot = Object.freeze(all) as Service[];
    return this.#listSnapshot;
  }

  /** Moves one node's expiry without changing it (an unchanged refresh); false when the node is not there. */
  touch(name: string, version: string, nodeId: string, expiresAt: number): boolean {
    const known = this.#byName.get(name)?.get(version)?.nodes.get(nodeId);
    if (known === undefined) return false;
    known.expiresAt = expiresAt;
    return true;
  }

  /** When one node expires (Infinity for never), or undefined when it is not there. */
  expiresAt(name: string, version: string, nodeId: string): number | undefined {
    return this.#byName.get(name)?.get(version)?.nodes.get(nodeId)?.expiresAt;
  }

  /** One node of a version, or undefined. */
  node(name: string, version: string, nodeId: string): RegistryNode | undefined {
    return this.#byName.get(name)?.get(version)?.nodes.get(nodeId)?.node;
  }

  /** How many services (names) are known. */
  get serviceCount(): number {
    return this.#byName.size;
  }

  /** How many nodes one service has across its versions, or every service when no name is given. */
  nodeCount(name?: string): number {
    return name === undefined ? this.#nodes : (this.#nodeCounts.get(name) ?? 0);
  }

  #count(name: string, delta: number): void {
    this.#nodes += delta;
    const n = (this.#nodeCounts.get(name) ?? 0) + delta;
    if (n > 0) this.#nodeCounts.set(name, n);
    else this.#nodeCounts.delete(name);
  }

  #afterRemoval(entry: VersionEntry): void {
    this.#invalidate(entry);
    if (entry.nodes.size > 0) return;
    const versions = this.#byName.get(entry.name);
    versions?.delete(entry.version);
    if (versions?.size === 0) this.#byName.delete(entry.name);
  }

  #invalidate(entry: VersionEntry): void {
    entry.snapshot = undefined;
    this.#nameSnapshots.delete(entry.name);
    this.#listSnapshot = undefined;
  }

  #snapshot(entry: VersionEntry): Service {
    if (entry.snapshot !== undefined) return entry.snapshot;
    const nodes: RegistryNode[] = [];
    for (const known of entry.nodes.values()) nodes.push(known.node);
    entry.snapshot = Object.freeze({
      name: entry.name,
      version: entry.version,
      metadata: entry.metadata,
      endpoints: entry.endpoints,
      nodes: Object.freeze(nodes) as RegistryNode[],
    });
    return entry.snapshot;
  }
}

function deleted(entry: VersionEntry, removed: RegistryNode[]): Service {
  return Object.freeze({
    name: entry.name,
    version: entry.version,
    metadata: entry.metadata,
    endpoints: entry.endpoints,
    nodes: Object.freeze(removed) as RegistryNode[],
  });
}
