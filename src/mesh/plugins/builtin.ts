/**
 * The plugins every node has: the mDNS and memory registries, the TCP and memory transports. They are factories in
 * a plugin like any other, so a node resolves `'mdns'` the same way it resolves `'nats://…'`.
 */
import { builtinAuthFactories } from '../auth/concern.ts';
import { MicroError } from '../errors.ts';
import { builtinBrokerFactories } from '../broker/factories.ts';
import { builtinStoreFactories } from '../store/factories.ts';
import { builtinSyncFactories } from '../sync/factories.ts';
import { builtinConfigFactories } from '../config/factories.ts';
import { builtinEventsFactories } from '../events/factories.ts';
import { createMdnsRegistry, type MdnsRegistryOptions } from '../registry/mdns.ts';
import { createMemoryRegistry } from '../registry/memory.ts';
import { createMemoryTransport } from '../transport/memory.ts';
import { createTcpTransport } from '../transport/tcp.ts';
import { tlsFromEnv } from '../transport/tls.ts';
import { definePlugin, type Plugin, type PluginContext } from './plugin.ts';
import type { PluginTarget } from './target.ts';

/** The name the built-in factories are listed under. */
export const BUILTIN_PLUGIN = 'micromesh';

/**
 * The built-in plugin: registry `mdns` (also `mdns:` URLs) and `memory`, transport `tcp` and `memory`, store `file`
 * (also `file:` URLs) and `memory`, sync `memory`, config `env`, `flags`, `memory` and `file` (also `file:` URLs), auth
 * `none` and `jwt`.
 * A node adds it to its table before the user's plugins.
 * @example
 * const table = createPluginTable([builtinPlugin(), ...options.plugins]);
 * const registry = await table.resolve('registry', 'mdns://?interface=0.0.0.0', { nodeId, logger });
 */
export function builtinPlugin(): Plugin {
  return definePlugin({
    name: BUILTIN_PLUGIN,
    factories: [
      {
        concern: 'registry',
        name: 'mdns',
        schemes: ['mdns'],
        description: 'multicast DNS on one interface (loopback by default); mdns://<interface>:<port>?domain=…&ttlMs=…',
        create: (target, ctx) => createMdnsRegistry(mdnsOptions(target, ctx)),
      },
      {
        concern: 'registry',
        name: 'memory',
        description: 'in this process only; pass one instance to nodes that should see each other',
        create: (_target, ctx) => createMemoryRegistry({ clock: ctx.clock, logger: ctx.logger, ...ctx.options.memory }),
      },
      {
        concern: 'transport',
        name: 'tcp',
        description: 'one TCP connection per peer pair (the default); TLS from MICRO_TLS_CERT, _KEY, _CA, _REQUEST_CERT',
        create: (_target, ctx) => createTcpTransport({ logger: ctx.logger, tls: tlsFromEnv(ctx.env), ...ctx.options.tcp }),
      },
      {
        concern: 'transport',
        name: 'memory',
        description: 'in this process only; pass one network to nodes that should reach each other',
        create: (_target, ctx) => createMemoryTransport({ logger: ctx.logger, ...ctx.options.memory }),
      },
      ...builtinStoreFactories(),
      ...builtinSyncFactories(),
      ...builtinConfigFactories(),
      ...builtinAuthFactories(),
      ...builtinEventsFactories(),
      ...builtinBrokerFactories(),
    ],
  });
}

/** mDNS settings an `mdns:` URL's query may set, and how each reads. */
const MDNS_QUERY = {
  interface: 'text',
  port: 'port',
  domain: 'text',
  ttlMs: 'ms',
  queryWindowMs: 'ms',
  querySettleMs: 'ms',
  watchBuffer: 'count',
} as const satisfies Partial<Record<keyof MdnsRegistryOptions, string>>;
type MdnsQueryKey = keyof typeof MDNS_QUERY;

/**
 * The mDNS registry's settings, later ones winning: the node's clock, logger and registration TTL, env
 * MICRO_MDNS_INTERFACE and MICRO_MDNS_PORT, `ctx.options.mdns`, then the URL (`mdns://<interface>:<port>?domain=…`). An unknown query
 * key or a bad number is BAD_REQUEST naming it.
 */
export function mdnsOptions(target: PluginTarget, ctx: PluginContext<'registry'>): MdnsRegistryOptions {
  const iface = ctx.env.MICRO_MDNS_INTERFACE;
  const port = ctx.env.MICRO_MDNS_PORT;
  return {
    clock: ctx.clock,
    logger: ctx.logger,
    ...(ctx.options.ttlMs === undefined ? {} : { ttlMs: ctx.options.ttlMs }),
    ...(iface === undefined || iface === '' ? {} : { interface: iface }),
    ...(port === undefined || port === '' ? {} : { port: number('MICRO_MDNS_PORT', port, 'port') }),
    ...ctx.options.mdns,
    ...(target.url === undefined ? {} : mdnsUrlOptions(target.url)),
  };
}

function mdnsUrlOptions(url: URL): MdnsRegistryOptions {
  const options: Record<string, string | number> = {};
  if (url.hostname !== '') options.interface = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (url.port !== '') options.port = Number(url.port);
  for (const [key, value] of url.searchParams) {
    if (!(key in MDNS_QUERY)) {
      throw new MicroError('BAD_REQUEST', `mdns registry URL: unknown setting "${key}" (known: ${Object.keys(MDNS_QUERY).join(', ')})`);
    }
    const kind = MDNS_QUERY[key as MdnsQueryKey];
    options[key] = kind === 'text' ? value : number(key, value, kind);
  }
  return options as MdnsRegistryOptions;
}

function number(key: string, value: string, kind: 'port' | 'ms' | 'count'): number {
  const n = Number(value);
  const ok = value.trim() !== '' && Number.isInteger(n) && (kind === 'port' ? n >= 1 && n <= 65_535 : kind === 'ms' ? n >= 0 : n >= 1);
  if (!ok) throw new MicroError('BAD_REQUEST', `mdns registry URL: ${key}=${JSON.stringify(value)} is not a valid ${kind === 'ms' ? 'duration in ms' : kind}`);
  return n;
}
