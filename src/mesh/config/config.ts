/**
 * The config concern: one merged tree of settings from ordered sources (env, file, flags, memory, NATS KV, etcd),
 * later sources winning key by key. A source that changes is read again by its watcher (a supervised actor) and the
 * tree is merged anew; `watch(path)` callbacks run only when their value changed. A source that fails to read keeps
 * its last good tree and the failure is reported as an error event; at startup a broken file fails `createNode`.
 */
import type { StandardSchemaV1 } from './schema.ts';

/** A JSON-like value: what every source produces. */
export type ConfigValue = string | number | boolean | null | ConfigValue[] | ConfigTree;
/** A tree of settings: nested plain objects. */
export interface ConfigTree {
  [key: string]: ConfigValue;
}

/** What a source tells its watcher. */
export interface SourceEvents {
  /** The source may have changed: the config reads it again (changes close together are read once). */
  changed(): void;
  /** The watch broke (a closed iterator, a lost connection): the watcher actor is restarted with backoff. */
  failed(error: unknown): void;
}

/** A running watch of one source. */
export interface SourceWatch {
  stop(): void | Promise<void>;
}

/** One place settings come from. */
export interface ConfigSource {
  /** Names the source in messages and events: `env`, `file /etc/app.yaml`, `nats kv config/app`. */
  readonly name: string;
  /**
   * The source's whole tree. Throws CONFIG_INVALID for content that does not parse (naming the file or key and the
   * line:column), UNAVAILABLE when the back end cannot be reached, BAD_REQUEST when it cannot be read at all.
   */
  read(): Promise<ConfigTree>;
  /** Starts watching for changes; a source without it is read once (and again on `config.reload()`). */
  watch?(events: SourceEvents): SourceWatch | Promise<SourceWatch>;
  /** Frees what the source holds (connections, watchers). */
  close?(): Promise<void>;
}

/** A config event: a source was read again, or failed. */
export type ConfigEvent =
  | { readonly type: 'loaded'; readonly source: string }
  | { readonly type: 'error'; readonly source: string; readonly error: Error };

/** Settings merged from sources. */
export interface Config {
  /**
   * The value at `path` (dots: `database.address`; an empty path is the whole tree), or `fallback` when it is unset.
   * @example
   * const port = node.config.get('server.port', 8080);
   */
  get<T = ConfigValue>(path: string, fallback?: T): T;
  /**
   * The tree (or the subtree at `path`) checked and converted by a Standard Schema (valibot, zod, arktype…). A value
   * that does not match throws one CONFIG_INVALID error naming each bad key; an async schema throws BAD_REQUEST.
   * @example
   * const db = node.config.scan(v.object({ address: v.string(), port: v.number() }), 'database');
   */
  scan<S extends StandardSchemaV1>(schema: S, path?: string): StandardSchemaV1.InferOutput<S>;
  /**
   * Runs `fn(value, previous)` each time the value at `path` changes (compared deeply), never for an equal one.
   * Returns a function that stops it.
   * @example
   * node.config.watch('features.beta', (on) => setBeta(on === true));
   */
  watch<T = ConfigValue | undefined>(path: string, fn: (value: T, previous: T) => void): () => void;
  /** Runs `fn` on every config event (a source read again, or an error naming the source). Returns a remover. */
  onEvent(fn: (event: ConfigEvent) => void): () => void;
  /** Reads every source again now; resolves once the tree is merged (failed sources keep their last tree). */
  reload(): Promise<void>;
  /** The sources, in precedence order (the last wins). */
  readonly sources: readonly string[];
  /** Stops the watchers and closes the sources. */
  close(): Promise<void>;
}
