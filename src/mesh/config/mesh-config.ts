/** The Config: sources read in order and merged, watched by supervised actors, with watchers of paths. */
import type { ActorRef, ActorSystem, Logger } from '../../actors/index.ts';
import { type Clock, systemClock } from '../../actors/clock.ts';
import { silentLogger } from '../../actors/logger.ts';
import { fromFactory } from '../../actors/behavior.ts';
import { createActorSystem, createSupervisor, type SupervisorMessage } from '../../supervisor/index.ts';
import { MicroError } from '../errors.ts';
import type { PluginEnv } from '../plugins/plugin.ts';
import type { Config, ConfigEvent, ConfigSource, ConfigTree, ConfigValue } from './config.ts';
import { type StandardSchemaV1, scanWith } from './schema.ts';
import { deepEqual, expandTree, getPath, isTree, mergeTrees } from './tree.ts';
import { SourceWatcher } from './watcher.ts';

export interface CreateConfigOptions {
  /** The sources, lowest precedence first: a later source wins key by key. */
  sources: readonly ConfigSource[];
  /** The system the watcher actors live in. @default an actor system of the config's own, ended by `close()` */
  system?: ActorSystem;
  /** Times the read of a changed source. @default the system's clock when one is given, else the process clock */
  clock?: Clock;
  /** Where `${VAR}` and `${VAR:-default}` take their values. @default process.env */
  env?: PluginEnv;
  /** @default silentLogger */
  logger?: Logger;
  /** Changes of one source within this window are read once. @default 50 */
  debounceMs?: number;
  /** The name of the watchers' supervisor, under /system. @default 'config' */
  name?: string;
}

/** How the watchers are supervised: restart with backoff for ever, so a source that comes back is read again. */
const WATCHER_SUPERVISION = { maxRestarts: 1_000_000, withinMs: 1000, backoff: { minMs: 200, maxMs: 10_000 } } as const;

/** A source failure at startup that does not fail the start: the back end is unreachable (its watcher retries). */
const unreachable = (err: unknown): boolean => err instanceof MicroError && err.retryable;

type PathWatcher = { path: string; last: unknown; fn: (value: never, previous: never) => void };

class MeshConfig implements Config {
  readonly sources: readonly string[];
  readonly #sources: readonly ConfigSource[];
  readonly #trees: Array<ConfigTree | undefined>;
  readonly #clock: Clock;
  readonly #env: PluginEnv;
  readonly #log: Logger;
  readonly #debounceMs: number;
  readonly #watchers = new Set<PathWatcher>();
  readonly #listeners = new Set<(e: ConfigEvent) => void>();
  readonly #timers = new Map<number, unknown>();
  #tree: ConfigTree = Object.freeze({});
  #queue: Promise<void> = Promise.resolve();
  #supervisor: ActorRef<SupervisorMessage> | undefined;
  #ownSystem: ActorSystem | undefined;
  #system: ActorSystem | undefined;
  #closed = false;

  constructor(options: CreateConfigOptions) {
    this.#sources = options.sources;
    this.sources = options.sources.map((s) => s.name);
    this.#trees = options.sources.map(() => undefined);
    this.#clock = options.clock ?? options.system?.clock ?? systemClock;
    this.#env = options.env ?? process.env;
    this.#log = options.logger ?? silentLogger;
    this.#debounceMs = options.debounceMs ?? 50;
  }

  /** Reads every source; a broken or unreadable one fails, an unreachable one starts empty. Then starts watching. */
  async start(options: CreateConfigOptions): Promise<void> {
    const results = await Promise.allSettled(this.#sources.map((s) => s.read()));
    for (const [i, r] of results.entries()) {
      if (r.status === 'fulfilled') this.#trees[i] = r.value;
      else if (unreachable(r.reason)) this.#report(i, r.reason);
      else throw r.reason;
    }
    this.#merge();
    const watched = this.#sources.map((source, index) => ({ source, index })).filter(({ source }) => source.watch !== undefined);
    if (watched.length === 0) return;
    const system = options.system ?? (this.#ownSystem = createActorSystem({ nodeId: 'config', logger: this.#log, clock: options.clock }));
    this.#system = system;
    const children = watched.map(({ source, index }) => ({ id: `source-${index}`, start: fromFactory(() => new SourceWatcher(source, index, this)) }));
    this.#supervisor = system.spawnSystem(createSupervisor({ strategy: 'one_for_one', ...WATCHER_SUPERVISION, children }), { name: options.name ?? 'config' });
  }

  get<T = ConfigValue>(path: string, fallback?: T): T {
    const v = getPath(this.#tree, path);
    return (v === undefined ? fallback : v) as T;
  }

  scan<S extends StandardSchemaV1>(schema: S, path = ''): StandardSchemaV1.InferOutput<S> {
    return scanWith(schema, getPath(this.#tree, path), path);
  }

  watch<T = ConfigValue | undefined>(path: string, fn: (value: T, previous: T) => void): () => void {
    const w: PathWatcher = { path, last: getPath(this.#tree, path), fn: fn as PathWatcher['fn'] };
    this.#watchers.add(w);
    return () => void this.#watchers.delete(w);
  }

  onEvent(fn: (event: ConfigEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => void this.#listeners.delete(fn);
  }

  reload(): Promise<void> {
    return this.#serial(async () => {
      await Promise.all(this.#sources.map((_, i) => this.#read(i)));
      this.#merge();
    });
  }

  /** From a watcher: read source `index` again once its changes settle for `debounceMs`. */
  changed(index: number): void {
    if (this.#closed || this.#timers.has(index)) return;
    const timer = this.#clock.setTimeout(() => {
      this.#timers.delete(index);
      this.#serial(async () => {
        if (await this.#read(index)) this.#merge();
      }).catch((err: unknown) => this.#log.error({ err }, 'config reload failed'));
    }, this.#debounceMs);
    this.#timers.set(index, timer);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers.values()) this.#clock.clearTimeout(t);
    this.#timers.clear();
    if (this.#ownSystem !== undefined) await this.#ownSystem.terminate();
    else if (this.#supervisor !== undefined) await this.#system?.stop(this.#supervisor);
    await this.#queue;
    await Promise.allSettled(this.#sources.map((s) => s.close?.()));
  }

  #serial(task: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(task);
    this.#queue = next.catch(() => {});
    return next;
  }

  /** Reads source `index`; on failure keeps its last tree and reports. Whether it was read. */
  async #read(index: number): Promise<boolean> {
    if (this.#closed) return false;
    const source = this.#sources[index] as ConfigSource;
    try {
      this.#trees[index] = await source.read();
      this.#emit({ type: 'loaded', source: source.name });
      return true;
    } catch (err) {
      this.#report(index, err);
      return false;
    }
  }

  #report(index: number, err: unknown): void {
    const source = (this.#sources[index] as ConfigSource).name;
    const error = err instanceof Error ? err : new Error(String(err));
    this.#log.warn({ source, err: error.message }, 'config source failed; keeping its last good settings');
    this.#emit({ type: 'error', source, error });
  }

  #emit(event: ConfigEvent): void {
    for (const fn of this.#listeners) {
      try {
        fn(event);
      } catch (err) {
        this.#log.warn({ err }, 'config event listener threw');
      }
    }
  }

  #merge(): void {
    let merged: ConfigTree = {};
    for (const tree of this.#trees) if (tree !== undefined) merged = mergeTrees(merged, tree);
    this.#tree = deepFreeze(expandTree(merged, this.#env) as ConfigTree);
    for (const w of this.#watchers) {
      const value = getPath(this.#tree, w.path);
      if (deepEqual(value, w.last)) continue;
      const previous = w.last;
      w.last = value;
      try {
        w.fn(value as never, previous as never);
      } catch (err) {
        this.#log.warn({ path: w.path, err }, 'config watcher threw');
      }
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (isTree(value) || Array.isArray(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Reads `sources` and merges them, later ones winning, then watches those that can change. Rejects with the first
 * source that does not parse or cannot be read (CONFIG_INVALID, BAD_REQUEST); a source that cannot be reached
 * (UNAVAILABLE) starts empty, is reported as an error event, and is read once its watcher reaches it.
 * @example
 * const config = await createConfig({ sources: [createFileSource({ path: 'app.yaml' }), createEnvSource()] });
 * config.watch('log.level', (level) => setLevel(String(level)));
 */
export async function createConfig(options: CreateConfigOptions): Promise<Config> {
  const config = new MeshConfig(options);
  try {
    await config.start(options);
  } catch (err) {
    await config.close().catch(() => {});
    throw err;
  }
  return config;
}
