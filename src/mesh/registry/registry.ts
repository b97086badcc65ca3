/**
 * The registry contract: service discovery in go-micro's data model, service → versions → nodes, each version
 * with its metadata and endpoint descriptions. The memory registry (tests, one process) and the mDNS registry (the
 * embedded default) implement it here; NATS and Redis implement it in src/plugins/. Every implementation passes
 * test/conformance/registry.ts.
 */

/** A request or response description: a named, typed field with optional nested fields. */
export interface Value {
  name: string;
  type: string;
  values?: Value[];
}

/** One callable endpoint of a service, named `Type.Method` (go-micro style). */
export interface Endpoint {
  name: string;
  request?: Value;
  response?: Value;
  metadata: Record<string, string>;
}

/** One running instance of a service version: where to reach it. `id` is unique within the service. */
export interface RegistryNode {
  id: string;
  address: string;
  metadata: Record<string, string>;
}

/**
 * One version of a service and the nodes that serve it. Services a registry returns are immutable snapshots shared
 * between callers (frozen): copy one before changing it.
 */
export interface Service {
  name: string;
  version: string;
  metadata: Record<string, string>;
  endpoints: Endpoint[];
  nodes: RegistryNode[];
}

export interface RegisterOptions {
  /**
   * How long the registration lives unless it is registered again (a heartbeat). Without it a node stays until it
   * is deregistered; the mDNS registry always uses one (its own `ttlMs` when this is unset).
   */
  ttlMs?: number;
}

/** What a watch event does to a watcher's view. */
export const WatchEventType = {
  /** A version appeared: `service` is the whole version. */
  create: 'create',
  /** A version changed (a node joined or changed, new endpoints or metadata): `service` is the whole version now. */
  update: 'update',
  /** Nodes left (deregistered, said goodbye or expired): `service.nodes` holds only the nodes that left. */
  delete: 'delete',
} as const;
export type WatchEventType = (typeof WatchEventType)[keyof typeof WatchEventType];

/**
 * A change to the registry. Folding the events in order into a view (create/update replace the version, delete
 * removes the listed nodes and drops the version when none are left) gives what `getService` returns.
 */
export type WatchEvent = { type: WatchEventType; service: Service };

/**
 * A stream of watch events; iterate it with `for await`. The iteration ends after `stop()` or when the registry
 * closes; leaving the loop early stops the watcher. One consumer per watcher.
 */
export interface Watcher extends AsyncIterable<WatchEvent> {
  stop(): void;
}

export interface WatchOptions {
  /** Only events of this service. @default every service */
  service?: string;
}

export interface Registry {
  /** The implementation's name, e.g. `memory`, `mdns`. */
  readonly name: string;
  /**
   * Adds the given nodes to that name and version, or updates them (address, metadata) when their ids are known;
   * the version's metadata and endpoints become the given ones. Registering again is the heartbeat of a TTL.
   * Rejects with BAD_REQUEST for a service without a name or nodes, UNAVAILABLE once closed.
   */
  register(service: Service, options?: RegisterOptions): Promise<void>;
  /** Removes the given nodes (matched by id) from that name and version; a version without nodes is gone. */
  deregister(service: Service): Promise<void>;
  /** Every version of a service, one entry each. Rejects with SERVICE_NOT_FOUND naming it when nothing serves it. */
  getService(name: string): Promise<Service[]>;
  /** Every version of every known service. */
  listServices(): Promise<Service[]>;
  /** Changes from now on, optionally of one service only. */
  watch(options?: WatchOptions): Watcher;
  /**
   * A first-hand hint from the mesh: node `nodeId` at `address` dropped its connection and cannot be dialled again.
   * A registry that caches what others announce drops that node's records at that address now, instead of after
   * their TTL; an announcement of the node brings them back. Optional: an authoritative registry ignores it.
   */
  forgetNode?(nodeId: string, address: string): void;
  /** Ends the watchers and releases timers and sockets; the mDNS registry says goodbye for its nodes first. */
  close(): Promise<void>;
}

/** Time for TTLs and periodic work: the one clock shape of micromesh; tests inject a simulated one. */
export { type Clock, systemClock } from '../../actors/clock.ts';
