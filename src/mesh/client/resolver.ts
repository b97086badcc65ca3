import type { Clock } from '../../actors/clock.ts';
import type { Logger } from '../../actors/index.ts';
import type { RegistryNode, Registry, Service, Watcher } from '../registry/registry.ts';
import { addressWithScheme, dialableAddress } from '../transport/addresses.ts';

/** The service every node registers, so a node id can be turned into an address. */
export const NODE_SERVICE = 'micromesh.node';

interface Waiter {
  nodeId: string;
  scheme: string | undefined;
  resolve: (address: string | undefined) => void;
  timer: unknown;
}

/**
 * Nodes of a service by name, cached and kept fresh by one registry watch: a lookup costs a map read, and any
 * change to a service drops its entry. Entries also expire after `ttlMs` as a safety net. The watch runs inside the
 * node's supervised tree: when it ends with an error the component fails and is restarted (the cache is flushed).
 */
export class ServiceResolver {
  readonly #cache = new Map<string, Service[]>();
  /** Each cached entry's expiry timer (a safety net behind the watch), so a lookup reads no clock. */
  readonly #expiry = new Map<string, unknown>();
  /** Endpoints registered as idempotent, and stream endpoints, per service; kept across cache invalidations. */
  readonly #idempotent = new Map<string, Set<string>>();
  readonly #kinds = new Map<string, Map<string, 'unary' | 'stream'>>();
  readonly #waiters = new Set<Waiter>();
  #watcher: Watcher | undefined;

  constructor(
    readonly registry: Registry,
    readonly clock: Clock,
    readonly log: Logger,
    readonly ttlMs = 5000,
    /** Which addresses this node's transport can dial: a node's first such address is the one its calls use. */
    readonly canDial?: (address: string) => boolean,
  ) {}

  /** Starts the watch; `fail` is called if it ends with an error (the supervisor restarts the watch). */
  start(fail: (error: unknown) => void): void {
    this.stop();
    const watcher = this.registry.watch();
    this.#watcher = watcher;
    void (async () => {
      try {
        for await (const event of watcher) this.#changed(event.service);
      } catch (err) {
        if (this.#watcher === watcher) fail(err);
      }
    })();
  }

  #changed(service: Service): void {
    this.invalidate(service.name);
    if (service.name !== NODE_SERVICE || this.#waiters.size === 0) return;
    for (const w of this.#waiters) {
      const node = service.nodes.find((n) => n.id === w.nodeId);
      const address = node === undefined ? undefined : w.scheme === undefined ? dialableAddress(node, this.canDial) : addressWithScheme(node, w.scheme);
      if (address !== undefined) this.#settle(w, address);
    }
  }

  /** Cached nodes, or undefined when they must be fetched. */
  cached(name: string, version: string | undefined): RegistryNode[] | undefined {
    const hit = this.#cache.get(name);
    return hit === undefined ? undefined : nodesOf(hit, version);
  }

  /** Fetches from the registry; rejects with SERVICE_NOT_FOUND for an unknown name. */
  async fetch(name: string, version: string | undefined): Promise<RegistryNode[]> {
    const services = this.#dialable(await this.registry.getService(name));
    this.#cache.set(name, services);
    this.clock.clearTimeout(this.#expiry.get(name));
    this.#expiry.set(
      name,
      this.clock.setTimeout(() => this.invalidate(name), this.ttlMs),
    );
    const safe = new Set<string>();
    const kinds = new Map<string, 'unary' | 'stream'>();
    for (const s of services) {
      for (const e of s.endpoints) {
        if (e.metadata.idempotent === 'true') safe.add(e.name);
        kinds.set(e.name, e.metadata.stream === 'true' ? 'stream' : 'unary');
      }
    }
    this.#idempotent.set(name, safe);
    this.#kinds.set(name, kinds);
    return nodesOf(services, version);
  }

  /** Which endpoint is idempotent, as the service registered it. */
  idempotent(name: string, endpoint: string): boolean {
    return this.#idempotent.get(name)?.has(endpoint) ?? false;
  }

  /** Whether an endpoint is unary or a stream, as the service registered it (undefined if not known yet). */
  endpointKind(name: string, endpoint: string): 'unary' | 'stream' | undefined {
    return this.#kinds.get(name)?.get(endpoint);
  }

  /** Each node with the address its calls use (the first this node can dial); nodes with none are left out. */
  #dialable(services: Service[]): Service[] {
    const canDial = this.canDial;
    if (canDial === undefined) return services;
    return services.map((s) => ({
      ...s,
      nodes: s.nodes.flatMap((n) => {
        const address = dialableAddress(n, canDial);
        if (address === undefined) return [];
        return address === n.address ? [n] : [{ ...n, address }];
      }),
    }));
  }

  /**
   * The address the registry holds for a node id (its address of `scheme` when given, else the one calls use),
   * waiting up to `waitMs` for it to appear.
   */
  async addressOf(nodeId: string, waitMs: number, scheme?: string): Promise<string | undefined> {
    const known = (nodes: RegistryNode[]): string | undefined => {
      const node = nodes.find((n) => n.id === nodeId);
      return node === undefined ? undefined : addressWithScheme(node, scheme);
    };
    const cached = this.cached(NODE_SERVICE, undefined);
    const hit = cached === undefined ? undefined : known(cached);
    if (hit !== undefined) return hit;
    const fetched = await this.fetch(NODE_SERVICE, undefined).catch(() => [] as RegistryNode[]);
    const found = known(fetched);
    if (found !== undefined || waitMs <= 0) return found;
    return new Promise((resolve) => {
      const w: Waiter = { nodeId, scheme, resolve, timer: undefined };
      w.timer = this.clock.setTimeout(() => this.#settle(w, undefined), waitMs);
      this.#waiters.add(w);
    });
  }

  #settle(w: Waiter, address: string | undefined): void {
    if (!this.#waiters.delete(w)) return;
    this.clock.clearTimeout(w.timer);
    w.resolve(address);
  }

  /** A node that dropped and cannot be dialled again: the registry's cache forgets it now (its watch tells us). */
  unreachable(nodeId: string, address: string): void {
    this.registry.forgetNode?.(nodeId, address);
  }

  invalidate(name: string): void {
    this.#cache.delete(name);
    const timer = this.#expiry.get(name);
    if (timer === undefined) return;
    this.#expiry.delete(name);
    this.clock.clearTimeout(timer);
  }

  stop(): void {
    const w = this.#watcher;
    this.#watcher = undefined;
    w?.stop();
    for (const waiter of [...this.#waiters]) this.#settle(waiter, undefined);
    for (const name of [...this.#cache.keys()]) this.invalidate(name);
  }
}

const nodeLists = new WeakMap<Service[], Map<string, RegistryNode[]>>();

function nodesOf(services: Service[], version: string | undefined): RegistryNode[] {
  let byVersion = nodeLists.get(services);
  if (byVersion === undefined) {
    byVersion = new Map();
    nodeLists.set(services, byVersion);
  }
  const key = version ?? '*';
  let nodes = byVersion.get(key);
  if (nodes === undefined) {
    nodes = services.filter((s) => version === undefined || s.version === version).flatMap((s) => s.nodes);
    byVersion.set(key, nodes);
  }
  return nodes;
}
