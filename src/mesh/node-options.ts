import type { ActorSystem, Logger } from '../actors/index.ts';
import type { Broker } from './broker/broker.ts';
import type { BrokerConcernOptions } from './broker/factories.ts';
import type { CreateActorSystemOptions } from '../supervisor/index.ts';
import type { ClientOptions } from './client/options.ts';
import type { Codecs, CodecsOptions } from './codec/codecs.ts';
import { defaultCodecsOptions } from './codec/codecs.ts';
import { MicroError } from './errors.ts';
import { checkMiddleware, type Middleware } from './middleware/middleware.ts';
import { defaultPeerLimits, type PeerLimits } from './peers/limits.ts';
import { builtinPlugin } from './plugins/builtin.ts';
import type { StoreConcernOptions, SyncConcernOptions, TransportConcernOptions } from './plugins/concerns.ts';
import type { ConfigConcernOptions } from './config/factories.ts';
import type { ConfigSourceChoice } from './config/open.ts';
import type { Auth } from './auth/auth.ts';
import type { AuthConcernOptions } from './auth/concern.ts';
import type { Plugin } from './plugins/plugin.ts';
import { createPluginTable, type PluginTable, type Resolved } from './plugins/table.ts';
import type { AdmitProbe } from './registry/admission.ts';
import type { MdnsRegistryOptions } from './registry/mdns.ts';
import type { Registry } from './registry/registry.ts';
import type { Store } from './store/store.ts';
import type { Sync } from './sync/sync.ts';
import { resolveTransports, type TransportChoice } from './plugins/transports.ts';
import type { EventsBackend } from './events/events.ts';
import type { EventsConcernOptions } from './events/factories.ts';
import type { Clock } from '../actors/clock.ts';
import { createNodeLogger } from './ops/logger.ts';
import type { OpsOptions } from './ops/node-ops.ts';
import type { TracingOptions } from './ops/tracing.ts';
import type { RemindersOptions } from './reminders/reminders.ts';

export interface NodeOptions {
  /** The node id, the host part of its actor addresses. @default env MICRO_NODE_ID, else a random `node-xxxxxx` */
  id?: string;
  /** Where to listen. Safe by default: loopback only. @default env MICRO_ADDRESS, else '127.0.0.1:0' */
  address?: string;
  /** The address peers dial, when it differs from the bound one (needed with 0.0.0.0). @default env MICRO_ADVERTISE */
  advertise?: string;
  /** A Registry, a plugin name (`mdns`, `memory`) or URL (`mdns://…`, and schemes plugins add). @default env MICRO_REGISTRY, else 'mdns' on the loopback interface */
  registry?: Registry | string;
  /** mDNS settings; the interface defaults to env MICRO_MDNS_INTERFACE, else '127.0.0.1'. */
  mdns?: MdnsRegistryOptions;
  /**
   * A Transport, a plugin name (`tcp`, `memory`) or URL (`nats://…` with the nats plugin), or several to listen on
   * at once (`['tcp', 'nats://127.0.0.1:4222']`): the first gives the node's primary address, every one is
   * registered, and a call dials a node by the scheme of the address it picks. @default env MICRO_TRANSPORT (a list
   * separated by commas or spaces), else 'tcp'
   */
  transport?: TransportChoice;
  /** Settings handed to every transport factory: each transport's own (`tcp`, `memory`, `nats`). @default {} */
  transportOptions?: TransportConcernOptions;
  /**
   * `node.store`: a Store, a plugin name (`file`, `memory`) or URL (`file:///path`, `postgres://…`, `redis://…` with
   * the engine plugins). @default env MICRO_STORE, else 'file' (under `.micromesh/store`, opened on first use)
   */
  store?: Store | string;
  /** Settings handed to the store factory: scope, per-call deadline, and each back end's own. @default {} */
  storeOptions?: StoreConcernOptions;
  /**
   * `node.sync`, locks and leader election: a Sync, a plugin name (`memory`) or URL (`redis://…`, `postgres://…` with
   * the engine plugins). @default env MICRO_SYNC, else 'memory' (this process only)
   */
  sync?: Sync | string;
  /** Settings handed to the sync factory: lock defaults (ttlMs, waitMs), and each back end's own. @default {} */
  syncOptions?: SyncConcernOptions;
  /**
   * Durable reminders (`ctx.reminders`), kept in `node.store`. `true` (or settings) starts the keeper with the node, so
   * reminders set before this process started fire; otherwise it starts when an actor first uses `ctx.reminders`.
   * @default false
   */
  reminders?: boolean | RemindersOptions;
  /**
   * `node.config`'s sources, lowest precedence first: each a source, a plugin name (`env`, `flags`, `memory`), a URL
   * (`file:///etc/app.yaml`, `nats://…`, `etcd://…` with the engine plugins) or a file path; a text may list several
   * separated by commas. @default env MICRO_CONFIG, else 'env'
   */
  config?: ConfigSourceChoice | readonly ConfigSourceChoice[];
  /** Settings handed to the config source factories, and the debounce of changes. @default {} */
  configOptions?: ConfigConcernOptions;
  /**
   * `node.auth`: an Auth, or a plugin name: `jwt` (tokens, rules, signed HELLOs) or `none`.
   * @default env MICRO_AUTH, else 'none' (off)
   */
  auth?: Auth | string;
  /** Settings handed to the auth factory: keys, this node's account, rules, token lifetime. @default {} */
  authOptions?: AuthConcernOptions;
  /**
   * `node.events`, event streams with consumer groups and acks: a back end, a plugin name (`file`, `memory`) or URL
   * (`file:///path`, `nats://…` for JetStream, `redis://…` for Redis Streams). @default env MICRO_EVENTS, else 'file'
   * (under `.micromesh/events`, opened on first use)
   */
  events?: EventsBackend | string;
  /** Settings handed to the events factory: each back end's own. @default {} */
  eventsOptions?: EventsConcernOptions;
  /**
   * `node.publish`/`node.subscribe`: a Broker, a plugin name (`mesh`, `memory`) or URL (`nats://…`, `redis://…` with
   * the engine plugins). @default env MICRO_BROKER, else 'mesh' (over the mesh itself, no server)
   */
  broker?: Broker | string;
  /** Settings handed to the broker factory: dead-letter topic, and each back end's own. @default {} */
  brokerOptions?: BrokerConcernOptions;
  /** Plugins whose factories this node may choose by name or URL scheme (registry, transport, and concerns to come). */
  plugins?: readonly Plugin[];
  codecs?: Codecs | Partial<CodecsOptions>;
  /** @default pino at env MICRO_LOG_LEVEL, else 'warn' */
  logger?: Logger;
  system?: ActorSystem | CreateActorSystemOptions;
  client?: ClientOptions;
  /** How long `stop` lets calls in flight finish. @default 10000 */
  drainTimeoutMs?: number;
  /** @default 5000 */
  dialTimeoutMs?: number;
  /**
   * TTL of this node's registrations, after which peers drop a node that died without a goodbye; the registry
   * refreshes them while the node lives. @default the registry's own: 2400 for NATS, Redis and loopback mDNS, 15000
   * for mDNS on another interface
   */
  registerTtlMs?: number;
  /** Middleware around every call, stream and actor message of this node, outermost first. @default [] */
  middleware?: readonly Middleware[];
  /** What one connection may hold: handshake deadline, open calls and streams. @default defaultPeerLimits() */
  limits?: Partial<PeerLimits>;
  /** Spans for calls, streams and actor messages through @opentelemetry/api: `true`, or `{ tracer, propagator }`. @default false */
  tracing?: boolean | TracingOptions;
  /** The operations port (/metrics, /health/live, /health/ready) and metrics. @default off, unless env MICRO_OPS_ADDRESS */
  ops?: OpsOptions;
}

export function defaultNodeOptions() {
  return {
    address: '127.0.0.1:0',
    registry: 'mdns' as const,
    transport: 'tcp' as const,
    store: 'file' as const,
    sync: 'memory' as const,
    auth: 'none' as const,
    events: 'file' as const,
    broker: 'mesh' as const,
    drainTimeoutMs: 10_000,
    dialTimeoutMs: 5000,
    logLevel: 'warn',
  };
}

/** Options merged in one place: explicit options, then MICRO_* environment variables, then defaults. */
export function resolveNodeOptions(options: NodeOptions, env: NodeJS.ProcessEnv = process.env) {
  const d = defaultNodeOptions();
  const id = options.id ?? env.MICRO_NODE_ID ?? `node-${Math.random().toString(36).slice(2, 8)}`;
  const address = options.address ?? env.MICRO_ADDRESS ?? d.address;
  const advertise = options.advertise ?? env.MICRO_ADVERTISE;
  if (address.startsWith('0.0.0.0') && advertise === undefined) {
    throw new MicroError('BAD_REQUEST', 'listening on 0.0.0.0 needs an advertised address (option `advertise` or MICRO_ADVERTISE)');
  }
  const logger: Logger = options.logger ?? createNodeLogger({ id, level: env.MICRO_LOG_LEVEL ?? d.logLevel }, env);
  const codecs = options.codecs as Partial<CodecsOptions> | undefined;
  return {
    id,
    address,
    advertise,
    logger,
    env,
    registry: options.registry,
    transport: options.transport,
    transportOptions: options.transportOptions ?? {},
    store: options.store,
    storeOptions: options.storeOptions ?? {},
    sync: options.sync,
    syncOptions: options.syncOptions ?? {},
    reminders: options.reminders ?? false,
    config: options.config,
    configOptions: options.configOptions ?? {},
    auth: options.auth,
    authOptions: options.authOptions ?? {},
    events: options.events,
    eventsOptions: options.eventsOptions ?? {},
    broker: options.broker,
    brokerOptions: options.brokerOptions ?? {},
    mdns: options.mdns,
    plugins: options.plugins ?? [],
    client: options.client,
    drainTimeoutMs: options.drainTimeoutMs ?? d.drainTimeoutMs,
    dialTimeoutMs: options.dialTimeoutMs ?? d.dialTimeoutMs,
    registerTtlMs: options.registerTtlMs,
    middleware: checkMiddleware(options.middleware ?? []),
    limits: { ...defaultPeerLimits(), ...options.limits },
    offloadThresholdBytes: codecs?.offloadThresholdBytes ?? defaultCodecsOptions().offloadThresholdBytes,
  };
}
export type ResolvedNodeOptions = ReturnType<typeof resolveNodeOptions>;

/** A node's plugins, resolved: its registry, transport, store and sync, and whether the node made (and must close) each. */
export interface NodePlugins {
  readonly table: PluginTable;
  readonly registry: Resolved<'registry'>;
  readonly transport: Resolved<'transport'>;
  readonly store: Resolved<'store'>;
  readonly sync: Resolved<'sync'>;
  readonly auth: Resolved<'auth'>;
  readonly events: Resolved<'events'>;
  readonly broker: Resolved<'broker'>;
}

/**
 * Resolves the registry, transport, store and sync by instance, name or URL (option, then MICRO_REGISTRY /
 * MICRO_TRANSPORT / MICRO_STORE / MICRO_SYNC, then the defaults `mdns`, `tcp`, `file` and `memory`) through a table owned by this node: the built-in plugin
 * plus `options.plugins`. `admit` is the registry's probe of records from the network; with `system`, shared engine
 * connections are owned by supervised actors under /system/engines. On a failure, what was
 * made already is closed.
 */
export async function openNodePlugins(o: ResolvedNodeOptions, clock: Clock, admit: AdmitProbe, system?: ActorSystem): Promise<NodePlugins> {
  const d = defaultNodeOptions();
  const table = createPluginTable([builtinPlugin(), ...o.plugins], { system });
  const base = { nodeId: o.id, logger: o.logger, env: o.env, clock };
  const made: Array<Resolved<'registry' | 'transport' | 'store' | 'sync' | 'auth' | 'events' | 'broker'>> = [];
  const keep = <R extends Resolved<'registry' | 'transport' | 'store' | 'sync' | 'auth' | 'events' | 'broker'>>(r: R): R => {
    made.push(r);
    return r;
  };
  try {
    const registry = keep(await table.resolveFromEnv('registry', { ...base, options: { ttlMs: o.registerTtlMs, admit, mdns: { admit, ...o.mdns } } }, { choice: o.registry, fallback: d.registry }));
    const transport = keep(await resolveTransports(table, { ...base, options: o.transportOptions }, o.transport, d.transport));
    const store = keep(await table.resolveFromEnv('store', { ...base, options: o.storeOptions }, { choice: o.store, fallback: d.store }));
    const sync = keep(await table.resolveFromEnv('sync', { ...base, options: o.syncOptions }, { choice: o.sync, fallback: d.sync }));
    const auth = keep(await table.resolveFromEnv('auth', { ...base, options: o.authOptions }, { choice: o.auth, fallback: d.auth }));
    const events = keep(await table.resolveFromEnv('events', { ...base, options: o.eventsOptions }, { choice: o.events, fallback: d.events }));
    const broker = keep(await table.resolveFromEnv('broker', { ...base, options: o.brokerOptions }, { choice: o.broker, fallback: d.broker }));
    return { table, registry, transport, store, sync, auth, events, broker };
  } catch (err) {
    for (const r of made.reverse()) if (r.owned) await r.value.close().catch(() => {});
    await table.close();
    throw err;
  }
}
