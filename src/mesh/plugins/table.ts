/**
 * A node's plugin table: names and URL schemes to factories, per concern. Each node makes its own (no module-level
 * registry), so two nodes in one process can hold different plugins and never share connections.
 */
import { type Clock, systemClock } from '../../actors/clock.ts';
import type { ActorSystem } from '../../actors/index.ts';
import { EngineActors } from './engine-actors.ts';
import { type Logger, silentLogger } from '../../actors/logger.ts';
import { MicroError } from '../errors.ts';
import { envVarFor, type OptionsOf, type PluginConcern, type PluginConcerns } from './concerns.ts';
import type { ConcernFactory, Plugin, PluginContext, PluginEnv, PluginFactory } from './plugin.ts';
import { createPluginResources, type PluginResources, type SharedLease } from './resources.ts';
import { isPluginName, normalizeScheme, type PluginTarget, parseTarget, redactUrl } from './target.ts';

/** A concern's implementation as given: an instance, a plugin name (`'mdns'`) or a URL (`'nats://…'`). */
export type PluginChoice<C extends PluginConcern> = PluginConcerns[C] | string | URL;

/** The node's side of a {@link PluginContext}; the table adds `concern` and `shared`. */
export interface ResolveContext<C extends PluginConcern> {
  nodeId: string;
  /** @default silentLogger */
  logger?: Logger;
  /** @default process.env */
  env?: PluginEnv;
  /** @default systemClock */
  clock?: Clock;
  /** The node's settings for this concern. @default {} */
  options?: OptionsOf<C>;
}

/** A resolved choice, and whose it is to close. */
export interface Resolved<C extends PluginConcern> {
  readonly value: PluginConcerns[C];
  /** True when a factory made it: the node closes it on stop. False for an instance passed in, which is not the node's. */
  readonly owned: boolean;
  /** The parsed name or URL; undefined for an instance. */
  readonly target: PluginTarget | undefined;
  /** The plugin whose factory made it; undefined for an instance. */
  readonly plugin: string | undefined;
}

/** One factory as the table knows it, for `micro plugins` and docs. */
export interface PluginListing {
  readonly concern: PluginConcern;
  readonly name: string;
  readonly schemes: readonly string[];
  readonly plugin: string;
  readonly description: string | undefined;
}

export interface ResolveFromEnvOptions<C extends PluginConcern> {
  /** The choice made in code; it wins over the environment. @default undefined */
  choice?: PluginChoice<C>;
  /** What to use when neither the choice nor the variable is set. */
  fallback: PluginChoice<C>;
  /** The variable to read. @default `MICRO_<CONCERN>`: MICRO_REGISTRY, MICRO_TRANSPORT, MICRO_STORE… */
  envVar?: string;
}

export interface PluginTable {
  /**
   * Adds a plugin's factories, all or none. Throws BAD_REQUEST when a name or scheme of a concern is already taken
   * by another plugin, or when a plugin of the same name was added; adding the same plugin object again does nothing.
   */
  add(plugin: Plugin): this;
  /** The factories of one concern, or of all, in the order they were added. */
  list(concern?: PluginConcern): PluginListing[];
  /**
   * An instance is returned as it is (`owned: false`); a name or URL runs the matching factory (`owned: true`).
   * Throws BAD_REQUEST for an unknown name or scheme (listing the known ones) or a malformed URL; a factory's plain
   * error becomes UNAVAILABLE naming the choice, a MicroError passes through.
   */
  resolve<C extends PluginConcern>(concern: C, choice: PluginChoice<C>, ctx: ResolveContext<C>): Promise<Resolved<C>>;
  /** Resolves `choice`, else the environment variable (`MICRO_REGISTRY=nats://…`), else `fallback`. */
  resolveFromEnv<C extends PluginConcern>(concern: C, ctx: ResolveContext<C>, options: ResolveFromEnvOptions<C>): Promise<Resolved<C>>;
  /** The shared connections factories opened through `ctx.shared`. */
  readonly resources: PluginResources;
  /**
   * Closes the shared resources still held; later resolves fail with UNAVAILABLE. Close what `resolve` returned with
   * `owned: true` first, so each releases its own leases.
   */
  close(): Promise<void>;
}

/**
 * Creates a plugin table holding `plugins`. A node makes one, with the built-in plugin first.
 * @example
 * const table = createPluginTable([builtinPlugin(), natsPlugin()]);
 * const { value: registry, owned } = await table.resolve('registry', 'nats://127.0.0.1:4222', { nodeId: 'n1', logger });
 * // on stop: if (owned) await registry.close(); await table.close();
 */
export function createPluginTable(plugins: readonly Plugin[] = [], options: PluginTableOptions = {}): PluginTable {
  const table = new NodePluginTable(options.system === undefined ? createPluginResources() : createPluginResources({ actors: new EngineActors(options.system) }));
  for (const plugin of plugins) table.add(plugin);
  return table;
}

interface Entry {
  readonly plugin: string;
  readonly factory: PluginFactory;
}

interface ConcernIndex {
  readonly byName: Map<string, Entry>;
  readonly byScheme: Map<string, Entry>;
}

const ADD_A_PLUGIN = 'add a plugin with createNode({ plugins })';

export interface PluginTableOptions {
  /** The node's actor system: each shared connection is then owned by a supervised actor under /system/engines. @default none */
  system?: ActorSystem;
}

class NodePluginTable implements PluginTable {
  readonly resources: PluginResources;
  readonly #plugins = new Map<string, Plugin>();
  readonly #concerns = new Map<string, ConcernIndex>();
  readonly #entries: Entry[] = [];
  #closed = false;

  constructor(resources: PluginResources) {
    this.resources = resources;
  }

  add(plugin: Plugin): this {
    if (typeof plugin?.name !== 'string' || plugin.name === '' || !Array.isArray(plugin.factories)) {
      throw new MicroError('BAD_REQUEST', 'a plugin needs a name and a factories array (use definePlugin)');
    }
    const known = this.#plugins.get(plugin.name);
    if (known === plugin) return this;
    if (known !== undefined) throw new MicroError('BAD_REQUEST', `a plugin named "${plugin.name}" is already added`);
    const claims = plugin.factories.flatMap((factory) => this.#claims(plugin.name, factory));
    const seen = new Set<string>();
    for (const claim of claims) {
      if (seen.has(claim.id)) throw new MicroError('BAD_REQUEST', `plugin "${plugin.name}" has two factories for ${claim.what}`);
      seen.add(claim.id);
    }
    this.#plugins.set(plugin.name, plugin);
    for (const factory of plugin.factories) {
      const entry: Entry = { plugin: plugin.name, factory };
      const index = this.#index(factory.concern);
      index.byName.set(factory.name, entry);
      for (const scheme of factory.schemes ?? []) index.byScheme.set(normalizeScheme(scheme), entry);
      this.#entries.push(entry);
    }
    return this;
  }

  /** What a factory takes (its name, its schemes), checked against what other plugins hold. */
  #claims(plugin: string, factory: PluginFactory): Array<{ id: string; what: string }> {
    if (typeof factory?.concern !== 'string' || typeof factory.create !== 'function' || !isPluginName(factory.name)) {
      throw new MicroError('BAD_REQUEST', `plugin "${plugin}" has a bad factory: it needs a concern, a name (letters, digits, + - .) and create()`);
    }
    const index = this.#concerns.get(factory.concern);
    const holder = index?.byName.get(factory.name);
    if (holder !== undefined) {
      throw new MicroError('BAD_REQUEST', `plugin "${plugin}" cannot add ${factory.concern} "${factory.name}": plugin "${holder.plugin}" already provides it`);
    }
    const claims = [{ id: `${factory.concern} ${factory.name}`, what: `${factory.concern} "${factory.name}"` }];
    for (const raw of factory.schemes ?? []) {
      const scheme = normalizeScheme(raw);
      if (!isPluginName(scheme)) throw new MicroError('BAD_REQUEST', `plugin "${plugin}": ${JSON.stringify(raw)} is not a URL scheme`);
      const serving = index?.byScheme.get(scheme);
      if (serving !== undefined) {
        throw new MicroError('BAD_REQUEST', `plugin "${plugin}" cannot add ${factory.concern} scheme "${scheme}:": plugin "${serving.plugin}" already serves it`);
      }
      claims.push({ id: `${factory.concern} ${scheme}:`, what: `${factory.concern} scheme "${scheme}:"` });
    }
    return claims;
  }

  #index(concern: string): ConcernIndex {
    let index = this.#concerns.get(concern);
    if (index === undefined) this.#concerns.set(concern, (index = { byName: new Map(), byScheme: new Map() }));
    return index;
  }

  list(concern?: PluginConcern): PluginListing[] {
    return this.#entries
      .filter((e) => concern === undefined || e.factory.concern === concern)
      .map(({ plugin, factory }) => ({
        concern: factory.concern,
        name: factory.name,
        schemes: (factory.schemes ?? []).map(normalizeScheme),
        plugin,
        description: factory.description,
      }));
  }

  resolve<C extends PluginConcern>(concern: C, choice: PluginChoice<C>, ctx: ResolveContext<C>): Promise<Resolved<C>> {
    return this.#resolve(concern, choice, ctx, undefined);
  }

  resolveFromEnv<C extends PluginConcern>(concern: C, ctx: ResolveContext<C>, options: ResolveFromEnvOptions<C>): Promise<Resolved<C>> {
    if (options.choice !== undefined) return this.#resolve(concern, options.choice, ctx, undefined);
    const envVar = options.envVar ?? envVarFor(concern);
    const text = (ctx.env ?? process.env)[envVar]?.trim();
    if (text !== undefined && text !== '') return this.#resolve(concern, text, ctx, envVar);
    return this.#resolve(concern, options.fallback, ctx, undefined);
  }

  async #resolve<C extends PluginConcern>(concern: C, choice: PluginChoice<C>, ctx: ResolveContext<C>, source: string | undefined): Promise<Resolved<C>> {
    if (this.#closed) throw new MicroError('UNAVAILABLE', `cannot resolve a ${concern}: the node's plugins are closed`);
    const given: unknown = choice instanceof URL ? choice.href : choice;
    if (typeof given !== 'string') {
      if ((typeof given === 'object' && given !== null) || typeof given === 'function') {
        return { value: given as PluginConcerns[C], owned: false, target: undefined, plugin: undefined };
      }
      throw new MicroError('BAD_REQUEST', `${concern} must be a plugin name, a URL or an instance, not ${given === null ? 'null' : typeof given}`);
    }
    const target = withSource(source, () => parseTarget(concern, given));
    const entry = this.#find(concern, target, source);
    return this.#create(concern, entry, target, ctx);
  }

  #find(concern: PluginConcern, target: PluginTarget, source: string | undefined): Entry {
    const index = this.#concerns.get(concern);
    const from = source === undefined ? '' : ` from ${source}`;
    if (target.url === undefined) {
      const entry = index?.byName.get(target.name);
      if (entry !== undefined) return entry;
      const names = [...(index?.byName.keys() ?? [])];
      const known = names.length === 0 ? `no ${concern} plugins` : `known: ${names.join(', ')}`;
      throw new MicroError('BAD_REQUEST', `unknown ${concern} "${target.name}"${from} (${known}; ${ADD_A_PLUGIN})`);
    }
    const entry = index?.byScheme.get(target.name);
    if (entry !== undefined) return entry;
    const schemes = [...(index?.byScheme.keys() ?? [])].map((s) => `${s}:`);
    const known = schemes.length === 0 ? `no ${concern} plugin takes a URL` : `known schemes: ${schemes.join(', ')}`;
    throw new MicroError('BAD_REQUEST', `unknown ${concern} scheme "${target.name}:" in ${JSON.stringify(redactUrl(target.raw))}${from} (${known}; ${ADD_A_PLUGIN})`);
  }

  async #create<C extends PluginConcern>(concern: C, entry: Entry, target: PluginTarget, ctx: ResolveContext<C>): Promise<Resolved<C>> {
    // The index is keyed by concern, so the entry found for `concern` holds a factory of that concern.
    const factory = entry.factory as unknown as ConcernFactory<C>;
    const leases: Array<SharedLease<unknown>> = [];
    let creating = true;
    const context: PluginContext<C> = {
      concern,
      nodeId: ctx.nodeId,
      logger: ctx.logger ?? silentLogger,
      env: ctx.env ?? process.env,
      clock: ctx.clock ?? systemClock,
      // Every field of a concern's options is optional, so an empty object is a valid one.
      options: ctx.options ?? ({} as OptionsOf<C>),
      shared: async (key, open, close) => {
        const lease = await this.resources.acquire(key, open, close);
        if (creating) leases.push(lease as SharedLease<unknown>);
        return lease;
      },
    };
    const what = `${concern} ${JSON.stringify(redactUrl(target.raw))} (plugin "${entry.plugin}")`;
    let value: PluginConcerns[C] | undefined;
    try {
      value = await factory.create(target, context);
    } catch (err) {
      await releaseAll(leases);
      if (err instanceof MicroError) throw err;
      throw new MicroError('UNAVAILABLE', `${what} failed to start: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    } finally {
      creating = false;
    }
    if (value === undefined || value === null) {
      await releaseAll(leases);
      throw new MicroError('INTERNAL', `${what}: the factory returned nothing`);
    }
    return { value, owned: true, target, plugin: entry.plugin };
  }

  close(): Promise<void> {
    this.#closed = true;
    return this.resources.close();
  }
}

async function releaseAll(leases: Array<SharedLease<unknown>>): Promise<void> {
  await Promise.allSettled(leases.map((lease) => lease.release()));
}

/** Runs `parse`, adding where a bad value came from (`from MICRO_REGISTRY`) to its message. */
function withSource<T>(source: string | undefined, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (source === undefined || !(err instanceof MicroError)) throw err;
    throw new MicroError(err.reason, `${err.detail} (from ${source})`);
  }
}
