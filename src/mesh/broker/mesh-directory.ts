/**
 * The mesh-native broker's view of who subscribes to what on other nodes: every node with subscriptions registers
 * service {@link BROKER_SERVICE} at version = its node id, one endpoint per (pattern, queue). The view is loaded
 * once and kept fresh by a registry watch of that service.
 */
import type { Registry, Service, Watcher } from '../registry/registry.ts';
import { topicMatcher } from './topic.ts';

/** The registry service under which nodes describe their subscriptions. */
export const BROKER_SERVICE = 'micromesh.broker';

export interface RemoteSub {
  readonly pattern: string;
  readonly queue: string | undefined;
  readonly matches: (topic: string) => boolean;
}

/** The endpoints a node registers for its subscriptions. */
export function subscriptionEndpoints(subs: Iterable<{ pattern: string; queue: string | undefined }>): Service['endpoints'] {
  const seen = new Map<string, Service['endpoints'][number]>();
  for (const s of subs) {
    const name = `${s.pattern}#${s.queue ?? ''}`;
    if (!seen.has(name)) seen.set(name, { name, metadata: { topic: s.pattern, queue: s.queue ?? '' } });
  }
  return [...seen.values()];
}

export class SubscriberDirectory {
  readonly #nodes = new Map<string, RemoteSub[]>();
  readonly #self: string;
  #watcher: Watcher | undefined;
  /** Bumps on every change, so callers can cache lookups. */
  version = 0;

  constructor(self: string) {
    this.#self = self;
  }

  /** Starts the watch, then loads the current view; `fail` hears a watch that ended with an error. */
  async start(registry: Registry, fail: (err: unknown) => void): Promise<void> {
    this.stop();
    const watcher = registry.watch({ service: BROKER_SERVICE });
    this.#watcher = watcher;
    void (async () => {
      try {
        for await (const e of watcher) {
          if (e.type === 'delete') for (const n of e.service.nodes) this.#set(n.id, undefined);
          else this.#apply(e.service);
        }
      } catch (err) {
        if (this.#watcher === watcher) fail(err);
      }
    })();
    const current = await registry.getService(BROKER_SERVICE).catch(() => [] as Service[]);
    for (const s of current) this.#apply(s);
  }

  #apply(service: Service): void {
    const subs = service.endpoints.map((e) => {
      const pattern = e.metadata.topic ?? '';
      const queue = e.metadata.queue === undefined || e.metadata.queue === '' ? undefined : e.metadata.queue;
      return { pattern, queue, matches: topicMatcher(pattern) };
    });
    for (const n of service.nodes) this.#set(n.id, subs.length === 0 ? undefined : subs);
  }

  #set(nodeId: string, subs: RemoteSub[] | undefined): void {
    if (nodeId === this.#self) return;
    if (subs === undefined) this.#nodes.delete(nodeId);
    else this.#nodes.set(nodeId, subs);
    this.version++;
  }

  /** Other nodes and their subscriptions. */
  nodes(): IterableIterator<[string, RemoteSub[]]> {
    return this.#nodes.entries();
  }

  /** How many subscriptions other nodes have, as seen here. */
  get size(): number {
    let n = 0;
    for (const subs of this.#nodes.values()) n += subs.length;
    return n;
  }

  stop(): void {
    const w = this.#watcher;
    this.#watcher = undefined;
    w?.stop();
  }
}
