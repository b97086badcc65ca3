/**
 * Connections shared by every concern one engine backs: a node's NATS registry, transport and broker at one URL use
 * one NATS connection. The node owns the cache (no module globals), so two nodes in one process never share.
 */
import { MicroError } from '../errors.ts';
import { redactUrl } from './target.ts';

/** One holder's reference to a shared resource. */
export interface SharedLease<T> {
  readonly value: T;
  /** Gives this holder's reference back; the last one closes the resource. A second call does nothing. */
  release(): Promise<void>;
}

/** Opens a shared resource; runs once per key while anyone holds it. */
export type OpenShared<T> = () => T | Promise<T>;
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
  /**
   * Closes every resource whoever still holds it, newest first; later `acquire` calls fail with UNAVAILABLE. Rejects
   * with INTERNAL naming the keys whose close failed, after trying them all.
   */
  close(): Promise<void>;
}

interface Entry {
  readonly key: string;
  holders: number;
  readonly opening: Promise<unknown>;
  readonly close: CloseShared<unknown>;
}

/**
 * Creates an empty resource cache. A plugin table owns one and hands it to factories as `ctx.shared`.
 * @example
 * const resources = createPluginResources();
 * const lease = await resources.acquire('nats nats://127.0.0.1:4222', () => connect(url), (nc) => nc.close());
 * // … in the registry's close():
 * await lease.release();
 */
export function createPluginResources(): PluginResources {
  return new RefCountedResources();
}

class RefCountedResources implements PluginResources {
  readonly #entries = new Map<string, Entry>();
  /** Closes after a last release still running: an open of the same key waits for it. */
  readonly #closing = new Map<string, Promise<void>>();
  #shutdown: Promise<void> | undefined;

  acquire<T>(key: string, open: OpenShared<T>, close: CloseShared<T>): Promise<SharedLease<T>> {
    if (this.#shutdown !== undefined) return Promise.reject(closedError(key));
    let entry = this.#entries.get(key);
    if (entry === undefined) entry = this.#open(key, open, close as CloseShared<unknown>);
    entry.holders++;
    const held = entry;
    return entry.opening.then((value) => {
      if (this.#shutdown !== undefined) throw closedError(key);
      return this.#lease(held, value as T);
    });
  }

  #open(key: string, open: OpenShared<unknown>, close: CloseShared<unknown>): Entry {
    const previous = this.#closing.get(key) ?? Promise.resolve();
    const entry: Entry = { key, holders: 0, opening: previous.then(open), close };
    this.#entries.set(key, entry);
    // Registered before any holder's handler, so a caller that retries on the rejection already opens afresh.
    entry.opening.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    return entry;
  }

  #lease<T>(entry: Entry, value: T): SharedLease<T> {
    let released = false;
    return {
      value,
      release: () => {
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
    const closed = entry.opening.then((value) => entry.close(value));
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

  held(): Array<{ key: string; holders: number }> {
    return [...this.#entries.values()].map((e) => ({ key: e.key, holders: e.holders }));
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
      let value: unknown;
      try {
        value = await entry.opening;
      } catch {
        continue;
      }
      try {
        await entry.close(value);
      } catch (error) {
        failures.push({ key: entry.key, error });
      }
    }
    await Promise.all(this.#closing.values());
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
