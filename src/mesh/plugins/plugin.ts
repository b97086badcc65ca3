/** What a plugin is: named factories, each making one concern's implementation from a name or a URL. */
import type { Clock } from '../../actors/clock.ts';
import type { Logger } from '../../actors/logger.ts';
import type { OptionsOf, PluginConcern, PluginConcerns } from './concerns.ts';
import type { CloseShared, OpenShared, SharedLease } from './resources.ts';
import type { PluginTarget } from './target.ts';

/** The environment a node reads its `MICRO_*` settings from. */
export type PluginEnv = Readonly<Record<string, string | undefined>>;

/** What a factory gets from the node that runs it. */
export interface PluginContext<C extends PluginConcern = PluginConcern> {
  /** The concern being filled. */
  readonly concern: C;
  /** The node's id, e.g. for a connection name. */
  readonly nodeId: string;
  readonly logger: Logger;
  /** The node's environment; read settings from it, not from `process.env`. */
  readonly env: PluginEnv;
  /** The node's clock; pass it on to anything with timers. */
  readonly clock: Clock;
  /** The node's settings for this concern. */
  readonly options: OptionsOf<C>;
  /**
   * One resource per key for the whole node, reference-counted: open a connection here, keyed by engine and URL
   * (`'nats nats://127.0.0.1:4222'`), so that every concern the engine backs shares it. Release the lease when the
   * thing you return is closed. Leases taken by a factory that then throws are released for it.
   */
  shared<T>(key: string, open: OpenShared<T>, close: CloseShared<T>): Promise<SharedLease<T>>;
}

/** A factory of one concern. */
export interface ConcernFactory<C extends PluginConcern> {
  readonly concern: C;
  /** The name it is chosen by (`'mdns'`): letters, digits, `+`, `-`, `.`, starting with a letter. */
  readonly name: string;
  /** URL schemes it serves, without the colon (`['nats', 'tls']`). A bare name never matches a scheme. @default [] */
  readonly schemes?: readonly string[];
  /** One line for `micro plugins` and docs. */
  readonly description?: string;
  /**
   * Makes the implementation. The node owns what this returns and closes it on stop, so anything it acquired
   * (a shared lease) must be released by that close.
   */
  create(target: PluginTarget, ctx: PluginContext<C>): PluginConcerns[C] | Promise<PluginConcerns[C]>;
}

/** A factory of any concern: in an array, each element is checked against its own `concern`. */
export type PluginFactory<C extends PluginConcern = PluginConcern> = C extends PluginConcern ? ConcernFactory<C> : never;

/** A named set of factories, added to a node with `createNode({ plugins: [plugin] })`. */
export interface Plugin {
  /** Names the plugin in messages and listings. */
  readonly name: string;
  readonly factories: readonly PluginFactory[];
}

/**
 * Types a plugin: each factory's `create` is checked against the concern it names.
 * @example
 * const etcd = definePlugin({
 *   name: 'etcd',
 *   factories: [{ concern: 'registry', name: 'etcd', schemes: ['etcd'], create: (target, ctx) => createEtcdRegistry(target.url, ctx) }],
 * });
 * const node = await createNode({ plugins: [etcd], registry: 'etcd://127.0.0.1:2379' });
 */
export function definePlugin(plugin: Plugin): Plugin {
  return plugin;
}
