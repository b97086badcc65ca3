import { type Clock, systemClock } from '../../actors/clock.ts';
import { type Logger, silentLogger } from '../../actors/logger.ts';
import { MicroError } from '../errors.ts';
import { isLoopbackAddress } from './mdns-packets.ts';
import { type AdmitProbe, defaultRecordLimits, type RecordLimits } from './admission.ts';

export interface MdnsRegistryOptions {
  /** The interface to run on; the loopback keeps a laptop's services off the LAN. @default '127.0.0.1' */
  interface?: string;
  /** UDP port; tests use a random high one so runs do not meet. @default 5353 */
  port?: number;
  /** The DNS domain records are published under. @default 'micromesh.local' */
  domain?: string;
  /**
   * How long peers keep a node that stopped refreshing; it re-announces every ttlMs/3. Short on the loopback, where
   * packets are cheap, so that a crashed process leaves its peers' view within 3 s. @default 2400 on a loopback
   * interface, else 15000
   */
  ttlMs?: number;
  /** How long a lookup for a service the cache lacks waits for answers. @default 200 */
  queryWindowMs?: number;
  /** After a lookup's first answer, how long it waits for other nodes' answers. @default 20 */
  querySettleMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  logger?: Logger;
  /** Events a watcher buffers for a slow consumer before dropping the oldest. @default 4096 */
  watchBuffer?: number;
  /**
   * Checks a node a peer announces before it becomes selectable: resolves true when `address` answers as node
   * `id`. The mesh node supplies a probe that dials the address and compares the node id in the peer's HELLO.
   * With it, a record from the network enters the cache only once admitted (answers are cached per id and
   * address, so a re-announcement is not probed again), and a record claiming a known node with another address
   * replaces it only when admitted. Without it, records are taken as they come, except that such a conflicting
   * record waits until the known node says goodbye or expires. This registry's own registrations never wait.
   * @default none
   */
  admit?: AdmitProbe;
  /** Bounds on what is taken from the network (services, nodes, TTL, sizes, probes); see RecordLimits. */
  limits?: Partial<RecordLimits>;
}

export type ResolvedMdnsRegistryOptions = Required<Omit<MdnsRegistryOptions, 'admit' | 'limits'>> & {
  admit: AdmitProbe | undefined;
  limits: RecordLimits;
};

/** The TTL on a loopback interface, where a refresh every 800 ms costs next to nothing. */
export const LOOPBACK_TTL_MS = 2400;

export function defaultMdnsRegistryOptions(): ResolvedMdnsRegistryOptions {
  return {
    interface: '127.0.0.1',
    port: 5353,
    domain: 'micromesh.local',
    ttlMs: 15_000,
    queryWindowMs: 200,
    querySettleMs: 20,
    clock: systemClock,
    logger: silentLogger,
    watchBuffer: 4096,
    admit: undefined,
    limits: defaultRecordLimits(),
  };
}

/** The defaults merged with the given options; throws BAD_REQUEST naming what is out of range. */
export function resolveMdnsRegistryOptions(options: MdnsRegistryOptions): ResolvedMdnsRegistryOptions {
  const d = defaultMdnsRegistryOptions();
  const o: ResolvedMdnsRegistryOptions = { ...d, ...options, limits: { ...d.limits, ...options.limits } };
  o.ttlMs = options.ttlMs ?? (isLoopbackAddress(o.interface) ? LOOPBACK_TTL_MS : d.ttlMs);
  const bad = (what: string) => new MicroError('BAD_REQUEST', `mdns registry: bad options (${what})`, { id: 'micromesh.registry' });
  if (!(o.ttlMs > 0) || !(o.queryWindowMs >= 0) || !Number.isInteger(o.port) || o.port < 1 || o.port > 65_535) {
    throw bad(`port ${o.port}, ttlMs ${o.ttlMs}, queryWindowMs ${o.queryWindowMs}`);
  }
  if (o.admit !== undefined && typeof o.admit !== 'function') throw bad('admit is not a function');
  for (const [name, value] of Object.entries(o.limits)) if (!(value > 0)) throw bad(`limits.${name} ${value}`);
  return o;
}
