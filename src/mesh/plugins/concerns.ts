/**
 * The concerns a node fills from plugins, and what each one produces. Both maps are interfaces so that the issue
 * that adds a concern extends them by declaration merging and the plugin table never changes:
 *
 * ```ts
 * declare module '../plugins/concerns.ts' {
 *   interface PluginConcerns { broker: Broker }
 *   interface ConcernOptions { broker: BrokerConcernOptions }
 * }
 * ```
 */
import type { AdmitProbe } from '../registry/admission.ts';
import type { MdnsRegistryOptions } from '../registry/mdns.ts';
import type { MemoryRegistryOptions } from '../registry/memory.ts';
import type { Registry } from '../registry/registry.ts';
import type { FileStoreOptions } from '../store/file.ts';
import type { MemoryStoreOptions } from '../store/memory.ts';
import type { Store, StoreScope } from '../store/store.ts';
import type { CreateSyncOptions } from '../sync/locks.ts';
import type { MemorySyncOptions } from '../sync/memory.ts';
import type { Sync } from '../sync/sync.ts';
import type { MemoryTransportOptions } from '../transport/memory.ts';
import type { TcpTransportOptions } from '../transport/tcp.ts';
import type { Transport } from '../transport/transport.ts';

/** Every pluggable concern of a node, including those whose interface is still to come. */
export const Concern = {
  registry: 'registry',
  transport: 'transport',
  broker: 'broker',
  events: 'events',
  store: 'store',
  sync: 'sync',
  config: 'config',
  auth: 'auth',
} as const;
export type Concern = (typeof Concern)[keyof typeof Concern];

/** What a factory of each concern produces. Only concerns listed here can be resolved; augment it to add one. */
export interface PluginConcerns {
  registry: Registry;
  transport: Transport;
  store: Store;
  sync: Sync;
}

/** A concern the plugin table can resolve today. */
export type PluginConcern = keyof PluginConcerns & string;

/** Node-level settings for the registry concern, handed to every registry factory. */
export interface RegistryConcernOptions {
  /** TTL of this node's registrations; a registry that announces (mDNS) expires silent nodes after it. @default 15000 */
  ttlMs?: number;
  /**
   * Settings of the `mdns` registry. The interface defaults to env MICRO_MDNS_INTERFACE; an `mdns://` URL's host,
   * port and query override these. @default { interface: '127.0.0.1', port: 5353 }
   */
  mdns?: MdnsRegistryOptions;
  /** Settings of the `memory` registry. @default {} */
  memory?: MemoryRegistryOptions;
  /**
   * Checks a node a record from the network names before it becomes selectable; the node supplies one that dials
   * the address and compares the node id it answers with. Registries over an engine (NATS, Redis) use it. @default none
   */
  admit?: AdmitProbe;
}

/** Node-level settings for the transport concern, handed to every transport factory. */
export interface TransportConcernOptions {
  /** Settings of the `tcp` transport. @default {} */
  tcp?: TcpTransportOptions;
  /** Settings of the `memory` transport; pass one `network` to nodes that should reach each other. @default {} */
  memory?: MemoryTransportOptions;
}

/**
 * Node-level settings for the store concern, handed to every store factory. Engine plugins add their own fields
 * (`postgres`, `redis`) by declaration merging.
 */
export interface StoreConcernOptions {
  /** The scope of `node.store`. @default { database: 'micro', table: 'micro' } */
  scope?: Partial<StoreScope>;
  /** Each store call's deadline; past it the call fails with UNAVAILABLE. @default 5000 */
  timeoutMs?: number;
  /** Settings of the `file` store; a `file:///path` URL sets the directory. @default { directory: '.micromesh/store' } */
  file?: FileStoreOptions;
  /** Settings of the `memory` store. @default {} */
  memory?: MemoryStoreOptions;
}

/**
 * Node-level settings for the sync concern, handed to every sync factory: defaults of every lock, and each back
 * end's own settings (engine plugins add `postgres`, `redis` by declaration merging).
 */
export interface SyncConcernOptions extends Omit<CreateSyncOptions, 'clock' | 'holder'> {
  /** Settings of the `memory` sync. @default {} */
  memory?: MemorySyncOptions;
}

/** Settings per concern, in `PluginContext.options`. Every field of every entry is optional. */
export interface ConcernOptions {
  registry: RegistryConcernOptions;
  transport: TransportConcernOptions;
  store: StoreConcernOptions;
  sync: SyncConcernOptions;
}

/** The settings a factory of concern `C` receives; a concern without an entry in {@link ConcernOptions} gets none. */
export type OptionsOf<C extends PluginConcern> = C extends keyof ConcernOptions ? ConcernOptions[C] : Readonly<Record<string, never>>;

/** The environment variable that chooses a concern's plugin: `MICRO_REGISTRY`, `MICRO_TRANSPORT`, `MICRO_STORE`… */
export const envVarFor = (concern: string): string => `MICRO_${concern.toUpperCase()}`;
