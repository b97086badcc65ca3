import type { Clock } from '../../actors/clock.ts';
import type { Logger } from '../../actors/logger.ts';
import type { AdmitProbe, RecordLimits } from './admission.ts';
import type { LinkedRecord } from './linked-records.ts';

// The two halves of a registry over an engine: the link (NATS subjects, Redis keys) carries records; the
// LinkedRegistry (linked.ts) keeps the cache, watchers, admission and refresh, the same for every engine.

/** One of this registry's own records, as its link announces and refreshes it. */
export interface LocalRecord extends LinkedRecord {
  readonly ttlMs: number;
}

/** What a link hands the registry: records seen on the engine, each under its key. */
export interface LinkHost {
  /** A whole record (announced, fetched or listed). */
  put(key: string, data: string): void;
  /** A heartbeat of a record with this hash: true when the cache holds that very record (it is kept alive). */
  alive(key: string, hash: string): boolean;
  /** The record is gone (goodbye, key expired or deleted). */
  gone(key: string): void;
  /**
   * Marks the start of a listing; `snapshot` then takes the listing. Records the cache holds that the listing lacks
   * are gone, unless they were seen after the mark (announced while the listing ran).
   */
  mark(): number;
  snapshot(records: Iterable<[key: string, data: string]>, mark: number): void;
  /** This registry's own records, to announce again after the engine lost them (a restart). */
  locals(): LocalRecord[];
  readonly log: Logger;
}

/**
 * The engine half of a registry (NATS subjects, Redis keys): it carries records and says when they change or go.
 * The registry half (cache, watchers, admission, refresh) is the same for every engine.
 */
export interface RegistryLink {
  readonly name: string;
  /**
   * True when the engine says nothing when a node dies (NATS core): remote records then expire from the cache after
   * their TTL unless a heartbeat keeps them. False when the engine reports expiry itself (Redis key events).
   */
  readonly localExpiry: boolean;
  /** Subscribes, then lists what is there into `host`; resolves once the cache is warm. */
  open(host: LinkHost): Promise<void>;
  /** Announces a new or changed record of this registry. */
  publish(record: LocalRecord): Promise<void>;
  /** Keeps this registry's records alive (a heartbeat); announces again any the engine lost. */
  refresh(records: LocalRecord[]): Promise<void>;
  /** Says goodbye for records of this registry. */
  remove(keys: string[]): Promise<void>;
  /**
   * Asks the engine whether a node whose heartbeats stopped is still connected: `gone` (NATS: no one listens on its
   * subject any more, the server dropped its connection), `alive` (it answered), `unknown` (no answer in time),
   * `offline` (this registry is cut from the engine itself: silence says nothing). With it, a silent node is checked
   * after half its TTL: dropped at once when gone, kept when alive or offline, and dropped at its TTL when
   * unknown. `keys` are that node's records here (a link may announce their end to others). Without it, a silent
   * node is dropped at its TTL.
   */
  check?(nodeId: string, keys: string[]): Promise<CheckResult>;
  close(): Promise<void>;
}

export interface LinkedRegistryOptions {
  /** How long peers keep a node that stopped refreshing; it refreshes every ttlMs/3. @default 2400 */
  ttlMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  logger?: Logger;
  /** Events a watcher buffers for a slow consumer before dropping the oldest. @default 4096 */
  watchBuffer?: number;
  /** Checks a node a record names before it becomes selectable (see MdnsRegistryOptions.admit). @default none */
  admit?: AdmitProbe;
  /** Bounds on what is taken from the engine. */
  limits?: Partial<RecordLimits>;
  /** How long close waits for goodbyes. @default 1000 */
  goodbyeTimeoutMs?: number;
  /**
   * How long a lookup of a name the cache lacks waits for it to be announced (a service registered elsewhere a moment
   * ago), listening only: a miss sends nothing. @default 100
   */
  missWaitMs?: number;
}

export type CheckResult = 'gone' | 'alive' | 'unknown' | 'offline';
