import pino from 'pino';
import type { ActorSystem, Logger } from '../actors/index.ts';
import type { CreateActorSystemOptions } from '../supervisor/index.ts';
import type { ClientOptions } from './client/options.ts';
import type { Codecs, CodecsOptions } from './codec/codecs.ts';
import { defaultCodecsOptions } from './codec/codecs.ts';
import { MicroError } from './errors.ts';
import { checkMiddleware, type Middleware } from './middleware/middleware.ts';
import { defaultPeerLimits, type PeerLimits } from './peers/limits.ts';
import { createMdnsRegistry, type MdnsRegistryOptions } from './registry/mdns.ts';
import { createMemoryRegistry } from './registry/memory.ts';
import type { Registry } from './registry/registry.ts';
import { createMemoryTransport } from './transport/memory.ts';
import { createTcpTransport } from './transport/tcp.ts';
import type { Transport } from './transport/transport.ts';

export interface NodeOptions {
  /** The node id, the host part of its actor addresses. @default env MICRO_NODE_ID, else a random `node-xxxxxx` */
  id?: string;
  /** Where to listen. Safe by default: loopback only. @default env MICRO_ADDRESS, else '127.0.0.1:0' */
  address?: string;
  /** The address peers dial, when it differs from the bound one (needed with 0.0.0.0). @default env MICRO_ADVERTISE */
  advertise?: string;
  /** @default env MICRO_REGISTRY ('mdns' | 'memory'), else 'mdns' on the loopback interface */
  registry?: Registry | 'mdns' | 'memory';
  /** mDNS settings; the interface defaults to env MICRO_MDNS_INTERFACE, else '127.0.0.1'. */
  mdns?: MdnsRegistryOptions;
  /** @default 'tcp' */
  transport?: Transport | 'tcp' | 'memory';
  codecs?: Codecs | Partial<CodecsOptions>;
  /** @default pino at env MICRO_LOG_LEVEL, else 'warn' */
  logger?: Logger;
  system?: ActorSystem | CreateActorSystemOptions;
  client?: ClientOptions;
  /** How long `stop` lets calls in flight finish. @default 10000 */
  drainTimeoutMs?: number;
  /** @default 5000 */
  dialTimeoutMs?: number;
  /** TTL of this node's registrations; refreshed while it lives. @default 15000 */
  registerTtlMs?: number;
  /** Middleware around every call, stream and actor message of this node, outermost first. @default [] */
  middleware?: readonly Middleware[];
  /** What one connection may hold: handshake deadline, open calls and streams. @default defaultPeerLimits() */
  limits?: Partial<PeerLimits>;
}

export function defaultNodeOptions() {
  return {
    address: '127.0.0.1:0',
    registry: 'mdns' as const,
    transport: 'tcp' as const,
    drainTimeoutMs: 10_000,
    dialTimeoutMs: 5000,
    registerTtlMs: 15_000,
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
  const logger: Logger = options.logger ?? (pino({ level: env.MICRO_LOG_LEVEL ?? d.logLevel, base: { node: id } }) as unknown as Logger);
  const registryChoice = options.registry ?? (env.MICRO_REGISTRY as 'mdns' | 'memory' | undefined) ?? d.registry;
  const registerTtlMs = options.registerTtlMs ?? d.registerTtlMs;
  const registry = async (): Promise<Registry> => {
    if (typeof registryChoice === 'object') return registryChoice;
    if (registryChoice === 'memory') return createMemoryRegistry();
    if (registryChoice !== 'mdns') throw new MicroError('BAD_REQUEST', `unknown registry ${JSON.stringify(registryChoice)} (use mdns or memory, or pass a Registry)`);
    const iface = env.MICRO_MDNS_INTERFACE;
    return createMdnsRegistry({ ...(iface === undefined ? {} : { interface: iface }), ttlMs: registerTtlMs, logger, ...options.mdns });
  };
  const t = options.transport ?? d.transport;
  const transport: Transport = typeof t === 'object' ? t : t === 'memory' ? createMemoryTransport() : createTcpTransport({ logger });
  const codecs = options.codecs as Partial<CodecsOptions> | undefined;
  return {
    id,
    address,
    advertise,
    logger,
    registry,
    transport,
    client: options.client,
    drainTimeoutMs: options.drainTimeoutMs ?? d.drainTimeoutMs,
    dialTimeoutMs: options.dialTimeoutMs ?? d.dialTimeoutMs,
    registerTtlMs,
    middleware: checkMiddleware(options.middleware ?? []),
    limits: { ...defaultPeerLimits(), ...options.limits },
    offloadThresholdBytes: codecs?.offloadThresholdBytes ?? defaultCodecsOptions().offloadThresholdBytes,
  };
}
