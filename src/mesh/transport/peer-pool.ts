/**
 * One multiplexed connection per peer address, dialed on first use and shared. A dial that fails puts the address in
 * exponential backoff (with jitter); while it lasts, `get` rejects at once instead of dialing again.
 */
import { type Clock, systemClock } from '../../actors/clock.ts';
import { type Logger, silentLogger } from '../../actors/logger.ts';
import { type BackoffOptions, backoffDelay } from '../../supervisor/backoff.ts';
import { MicroError } from '../errors.ts';
import type { Connection, ConnectionHandler, Frame, Transport } from './transport.ts';

export interface PeerPoolOptions {
  /**
   * Gives the handler for a connection entering the pool (dialed or adopted). The pool forwards every event to it
   * and drops the connection when it closes.
   * @default a handler that drops frames
   */
  onConnection?: (address: string, conn: Connection) => ConnectionHandler;
  /** First backoff after a failed dial; each further consecutive failure doubles it (`backoffDelay`). @default 50 */
  backoffMinMs?: number;
  /** Backoff cap (before jitter). @default 5000 */
  backoffMaxMs?: number;
  /** Half-width of the random band around each backoff, as a fraction of it. @default 0.2 */
  jitter?: number;
  /** Passed to each dial. @default 5000 */
  dialTimeoutMs?: number;
  /** Time of the backoff windows. @default systemClock */
  clock?: Clock;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
  /** @default silentLogger */
  logger?: Logger;
}

export function defaultPeerPoolOptions(): Required<PeerPoolOptions> {
  return {
    onConnection: () => DROP_HANDLER,
    backoffMinMs: 50,
    backoffMaxMs: 5000,
    jitter: 0.2,
    dialTimeoutMs: 5000,
    clock: systemClock,
    random: Math.random,
    logger: silentLogger,
  };
}

export interface AdoptOptions {
  /** Replace a live or pending connection to the address (the old one is left open for its owner). @default false */
  replace?: boolean;
}

/** Connections by peer address. */
export interface PeerPool {
  /** The live connection to `address`, dialing once if there is none; concurrent callers share one dial. */
  get(address: string): Promise<Connection>;
  /** The live pooled connection to `address`, if any, without dialing. */
  peek(address: string): Connection | undefined;
  /**
   * Pools an accepted connection under the remote's advertised address so the pair shares one connection. Returns
   * false (and changes nothing) when the pool already has a live or pending one, unless `replace`. Which side keeps
   * which connection when both dial at once is the caller's tie-break.
   */
  adopt(address: string, conn: Connection, options?: AdoptOptions): boolean;
  /** Addresses with a live connection. */
  readonly size: number;
  /** Closes every pooled connection; later `get` calls reject with UNAVAILABLE. */
  close(): Promise<void>;
}

/**
 * @example
 * const pool = createPeerPool(transport, { onConnection: (address, conn) => meshHandlerFor(address, conn) });
 * const conn = await pool.get('127.0.0.1:4001');
 */
export function createPeerPool(transport: Transport, options: PeerPoolOptions = {}): PeerPool {
  return new TransportPeerPool(transport, { ...defaultPeerPoolOptions(), ...options });
}

const DROP_HANDLER: ConnectionHandler = { onFrame: () => {}, onClose: () => {} };

interface Peer {
  conn: Connection | undefined;
  pending: Promise<Connection> | undefined;
  /** Bumped by each dial and adoption, so a dial that lands late knows it was overtaken. */
  epoch: number;
  failures: number;
  retryAt: number;
  lastError: Error | undefined;
}

class TransportPeerPool implements PeerPool {
  readonly #transport: Transport;
  readonly #options: Required<PeerPoolOptions>;
  readonly #backoff: BackoffOptions;
  readonly #peers = new Map<string, Peer>();
  #closed = false;

  constructor(transport: Transport, options: Required<PeerPoolOptions>) {
    this.#transport = transport;
    this.#options = options;
    this.#backoff = { minMs: options.backoffMinMs, maxMs: options.backoffMaxMs, jitter: options.jitter, random: options.random };
  }

  get size(): number {
    let live = 0;
    for (const peer of this.#peers.values()) if (peer.conn !== undefined && !peer.conn.closed) live++;
    return live;
  }

  peek(address: string): Connection | undefined {
    const conn = this.#peers.get(address)?.conn;
    return conn === undefined || conn.closed ? undefined : conn;
  }

  get(address: string): Promise<Connection> {
    if (this.#closed) return Promise.reject(new MicroError('UNAVAILABLE', 'peer pool is closed'));
    let peer = this.#peers.get(address);
    if (peer === undefined) {
      peer = { conn: undefined, pending: undefined, epoch: 0, failures: 0, retryAt: 0, lastError: undefined };
      this.#peers.set(address, peer);
    }
    if (peer.conn !== undefined && !peer.conn.closed) return Promise.resolve(peer.conn);
    if (peer.pending !== undefined) return peer.pending;
    const waitMs = peer.retryAt - this.#options.clock.now();
    if (waitMs > 0) {
      const detail = `${address} unreachable, next dial in ${waitMs} ms (last: ${peer.lastError?.message ?? 'unknown'})`;
      return Promise.reject(new MicroError('CONNECT_FAILED', detail, { cause: peer.lastError }));
    }
    peer.pending = this.#dial(address, peer, ++peer.epoch);
    return peer.pending;
  }

  adopt(address: string, conn: Connection, options: AdoptOptions = {}): boolean {
    if (this.#closed || conn.closed) return false;
    let peer = this.#peers.get(address);
    if (peer === undefined) {
      peer = { conn: undefined, pending: undefined, epoch: 0, failures: 0, retryAt: 0, lastError: undefined };
      this.#peers.set(address, peer);
    }
    const busy = (peer.conn !== undefined && !peer.conn.closed) || peer.pending !== undefined;
    if (busy && options.replace !== true) return false;
    peer.epoch++;
    peer.pending = undefined;
    this.#install(address, peer, conn);
    return true;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const pending: Promise<unknown>[] = [];
    for (const peer of this.#peers.values()) {
      peer.conn?.close();
      if (peer.pending !== undefined) pending.push(peer.pending.catch(() => undefined));
    }
    await Promise.all(pending);
    this.#peers.clear();
  }

  async #dial(address: string, peer: Peer, epoch: number): Promise<Connection> {
    let conn: Connection;
    try {
      conn = await this.#transport.dial(address, { timeoutMs: this.#options.dialTimeoutMs });
    } catch (err) {
      const adopted = peer.conn;
      if (peer.epoch !== epoch && adopted !== undefined && !adopted.closed) return adopted;
      if (peer.epoch === epoch) peer.pending = undefined;
      peer.failures++;
      const waitMs = backoffDelay(peer.failures - 1, this.#backoff);
      peer.retryAt = this.#options.clock.now() + waitMs;
      peer.lastError = err instanceof Error ? err : new Error(String(err));
      this.#options.logger.debug({ address, failures: peer.failures, waitMs, err }, 'peer pool: dial failed');
      throw err instanceof MicroError && err.reason === 'CONNECT_FAILED'
        ? err
        : new MicroError('CONNECT_FAILED', `dial ${address} failed: ${peer.lastError.message}`, { cause: err });
    }
    if (this.#closed) {
      conn.close();
      throw new MicroError('UNAVAILABLE', 'peer pool is closed');
    }
    const adopted = peer.conn;
    if (peer.epoch !== epoch && adopted !== undefined && !adopted.closed) {
      // A connection adopted while this dial was in flight took the address; it wins.
      conn.close();
      return adopted;
    }
    peer.pending = undefined;
    this.#install(address, peer, conn);
    return conn;
  }

  #install(address: string, peer: Peer, conn: Connection): void {
    peer.conn = conn;
    peer.failures = 0;
    peer.retryAt = 0;
    peer.lastError = undefined;
    const handler = this.#options.onConnection(address, conn);
    conn.setHandler({
      onFrame: (frame: Frame) => handler.onFrame(frame),
      onClose: (error: Error | undefined) => {
        if (peer.conn === conn) {
          peer.conn = undefined;
          if (peer.pending === undefined && peer.failures === 0 && this.#peers.get(address) === peer) {
            this.#peers.delete(address);
          }
        }
        handler.onClose(error);
      },
      onDrain: () => handler.onDrain?.(),
    });
  }
}
