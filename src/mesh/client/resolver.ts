import type { Logger } from '../../actors/index.ts';
import type { RegistryNode, Registry, Service, Watcher } from '../registry/registry.ts';

/**
 * Nodes of a service by name, cached and kept fresh by one registry watch: a lookup costs a map read, and any
 * change to a service drops its entry. Entries also expire after `ttlMs` as a safety net.
 */
export class ServiceResolver {
  readonly #cache = new Map<string, { services: Service[]; at: number }>();
  /** Endpoints registered as idempotent, per service; kept across cache invalidations. */
  readonly #idempotent = new Map<string, Set<string>>();
  #watcher: Watcher | undefined;

  constructor(
    readonly registry: Registry,
    readonly log: Logger,
    readonly ttlMs = 5000,
  ) {}

  start(): void {
    if (this.#watcher !== undefined) return;
    const watcher = this.registry.watch();
    this.#watcher = watcher;
    void (async () => {
      try {
        for await (const event of watcher) this.#cache.delete(event.service.name);
      } catch (err) {
        this.log.warn({ err }, 'registry watch ended; service cache now expires by time only');
      }
    })();
  }

  /** Cached nodes, or undefined when they must be fetched. */
  cached(name: string, version: string | undefined): RegistryNode[] | undefined {
    const hit = this.#cache.get(name);
    if (hit === undefined || performance.now() - hit.at > this.ttlMs) return undefined;
    return nodesOf(hit.services, version);
  }

  /** Fetches from the registry; rejects with SERVICE_NOT_FOUND for an unknown name. */
  async fetch(name: string, version: string | undefined): Promise<RegistryNode[]> {
    const services = await this.registry.getService(name);
    this.#cache.set(name, { services, at: performance.now() });
    const safe = new Set<string>();
    for (const s of services) for (const e of s.endpoints) if (e.metadata.idempotent === 'true') safe.add(e.name);
    this.#idempotent.set(name, safe);
    return nodesOf(services, version);
  }

  /** Which endpoint is idempotent, as the service registered it. */
  idempotent(name: string, endpoint: string): boolean {
    return this.#idempotent.get(name)?.has(endpoint) ?? false;
  }

  invalidate(name: string): void {
    this.#cache.delete(name);
  }

  stop(): void {
    this.#watcher?.stop();
    this.#watcher = undefined;
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
