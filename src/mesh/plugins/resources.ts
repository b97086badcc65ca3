/**
 * Connections shared by every concern one engine backs: a node's NATS registry, transport and broker at one URL use
 * one NATS connection. The node owns the cache (no module globals), so two nodes in one process never share.
 */
import type { SupervisorInfo } from '../../supervisor/index.ts';
import { MicroError } from '../errors.ts';
import type { EngineActors, EngineSlot, OpenContext } from './engine-actors.ts';
import { redactUrl } from './target.ts';

export type { OpenContext } from './engine-actors.ts';

/** One holder's reference to a shared resource. */
export interface SharedLease<T> {
  /** The resource now: after its connection failed for good and its actor opened a new one, the new one. */
  readonly value: T;
  /**
   * Calls `listener` with the new resource each time its owning actor replaces it (state kept on the old one, such as
   * subscriptions, is gone); returns a function that stops the calls. Absent where nothing supervises the resource.
   */
  onRenewed?(listener: (value: T) => void): () => void;
  /** Gives this holder's reference back; the last one closes the resource. A second call does nothing. */
  release(): Promise<void>;
}

/**
 * Opens a shared resource; runs once per key while anyone holds it, and again each time its actor restarts. Call
 * `ctx.fail(error)` when the resource is lost for good (a client that stopped reconnecting): its actor restarts.
 */
export type OpenShared<T> = (ctx: OpenContext) => T | Promise<T>;
/** Closes a shared resource after its last release, or when the node closes its plugins. */
export type CloseShared<T> = (value: T) => void | Promise<void>;

/** A node-owned, reference-counted cache of resources by key (an engine and its URL: `'nats nats://127.0.0.1:4222'`). */
export interface PluginResources {
  /**
   * The resource at `key`: the first call opens it, later calls (also concurrent ones) share that one open and add a
   * holder. A failed open is not cached: every caller waiting on it rejects with its error and the next call opens
   * again. A key's `open` and `close` are the first caller's; all callers of one key must agree on its type.
   */
  acquire<T>(key: string, open: OpenShared<T>, close: CloseShared<T>): Promise<SharedLease<T>>;
  /** The keys open or opening now and their holder counts, for inspection. */
  held(): Array<{ key: string; holders: number }>;
  /** The actors that own the resources (`engine nats nats://…`), when the node supervises them; else none. */
  supervised(): Promise<SupervisorInfo['children']>;
  /**
   * Closes every resource whoever still holds it, newest first; later `acquire` calls fail with UNAVAILABLE. Rejects
   * with INTERNAL naming the keys whose close failed, after trying them all.
   */
  close(): Promise<void>;
}

interface Entry {
  readonly key: string;
  holders: number;
  readonly opening: Promise<EngineSlot<unknown>>;
  readonly close: CloseShared<unknown>;
}

export interface PluginResourcesOptions {
  /** Owns each resource by a supervised actor (restarted when the resource fails for good). @default none */
  actors?: EngineActors;
}

/**
 * Creates an empty resource cache. A plugin table owns one and hands it to factories as `ctx.shared`.
 * @example
 * const resources = createPluginResources();
 * const lease = await resources.acquire('nats nats://127.0.0.1:4222', () => connect(url), (nc) => nc.close());
 * // … in the registry's close():
 * await lease.release();
 */
export function createPluginResources(options: PluginResourcesOptions = {}): PluginResources {
  return new RefCountedResources(options.actors);
}

class RefCountedResources implements PluginResources {
  readonly #entries = new Map<string, Entry>();
  /** Closes after a last release still running: an open of the same key waits for it. */
  readonly #closing = new Map<string, Promise<void>>();
  #shutdown: Promise<void> | undefined;
  readonly #actors: EngineActors | undefined;

  constructor(actors?: EngineActors) {
    this.#actors = actors;
  }

  acquire<T>(key: string, open: OpenShared<T>, close: CloseShared<T>): Promise<SharedLease<T>> {
    if (this.#shutdown !== undefined) return Promise.reject(closedError(key));
    let entry = this.#entries.get(key);
    if (entry === undefined) entry = this.#open(key, open, close as CloseShared<unknown>);
    entry.holders++;
    const held = entry;
    return entry.opening.then((slot) => {
      if (this.#shutdown !== undefined) throw closedError(key);
      return this.#lease(held, slot as EngineSlot<T>);
    });
  }

  #open(key: string, open: OpenShared<unknown>, close: CloseShared<unknown>): Entry {
    const previous = this.#closing.get(key) ?? Promise.resolve();
    const actors = this.#actors;
    const opening =
      actors === undefined
        ? previous.then(async () => ({ value: await open({ fail: () => {} }), renewed: new Set<(value: unknown) => void>() }))
        : previous.then(() => actors.start(key, open, close));
    const entry: Entry = { key, holders: 0, opening, close };
    this.#entries.set(key, entry);
    // Registered before any holder's handler, so a caller that retries on the rejection already opens afresh.
    entry.opening.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    return entry;
  }

  #lease<T>(entry: Entry, slot: EngineSlot<T>): SharedLease<T> {
    let released = false;
    const mine = new Set<(value: T) => void>();
    return {
      get value() {
        return slot.value;
      },
      onRenewed: (listener) => {
        slot.renewed.add(listener);
        mine.add(listener);
        return () => {
          slot.renewed.delete(listener);
          mine.delete(listener);
        };
      },
      release: () => {
        for (const listener of mine) slot.renewed.delete(listener);
        if (released) return Promise.resolve();
        released = true;
        return this.#release(entry);
      },
    };
  }

  #release(entry: Entry): Promise<void> {
    // Gone already: the cache closed it on shutdown.
    if (this.#entries.get(entry.key) !== entry) return Promise.resolve();
    if (--entry.holders > 0) return Promise.resolve();
    this.#entries.delete(entry.key);
    const closed = entry.opening.then((slot) => this.#closeEntry(entry, slot));
    const settled: Promise<void> = closed.then(
      () => this.#closed(entry.key, settled),
      () => this.#closed(entry.key, settled),
    );
    this.#closing.set(entry.key, settled);
    return closed;
  }

  #closed(key: string, settled: Promise<void>): void {
    if (this.#closing.get(key) === settled) this.#closing.delete(key);
  }

  /** With actors, stopping the owning actor closes the resource; without, it is closed here. */
  async #closeEntry(entry: Entry, slot: EngineSlot<unknown>): Promise<void> {
    if (this.#actors === undefined) await entry.close(slot.value);
    else await this.#actors.stop(entry.key);
  }

  held(): Array<{ key: string; holders: number }> {
    return [...this.#entries.values()].map((e) => ({ key: e.key, holders: e.holders }));
  }

  supervised(): Promise<SupervisorInfo['children']> {
    return this.#actors?.children() ?? Promise.resolve([]);
  }

  close(): Promise<void> {
    this.#shutdown ??= this.#closeAll();
    return this.#shutdown;
  }

  async #closeAll(): Promise<void> {
    const entries = [...this.#entries.values()].reverse();
    this.#entries.clear();
    const failures: Array<{ key: string; error: unknown }> = [];
    for (const entry of entries) {
      let slot: EngineSlot<unknown>;
      try {
        slot = await entry.opening;
      } catch {
        continue;
      }
      try {
        await this.#closeEntry(entry, slot);
      } catch (error) {
        failures.push({ key: entry.key, error });
      }
    }
    await Promise.all(this.#closing.values());
    await this.#actors?.close();
    if (failures.length > 0) {
      const keys = failures.map((f) => redactUrl(f.key)).join(', ');
      throw new MicroError('INTERNAL', `shared plugin resources failed to close: ${keys}`, {
        cause: new AggregateError(failures.map((f) => f.error)),
      });
    }
  }
}

function closedError(key: string): MicroError {
  return new MicroError('UNAVAILABLE', `cannot open ${redactUrl(key)}: the node's plugins are closed`);
}
