/**
 * The in-process transport for tests: nodes that share one {@link MemoryNetwork} listen and dial by address
 * ("mem://a"). Frames go through the same encoder, decoder and connection logic as TCP, so the size limit, per-tick
 * batching, heartbeats and close behave the same; only the bytes never leave the process.
 */
import { randomUUID } from 'node:crypto';
import { MicroError } from '../errors.ts';
import { type ConnectionOptions, defaultConnectionOptions } from './connection-options.ts';
import type { FrameConnection } from './frame-connection.ts';
import { trackedConnection } from './tracked-connection.ts';
import { MemoryChannel } from './memory-channel.ts';
import {
  type Connection,
  createTransportStats,
  type DialOptions,
  type Listener,
  type Transport,
  type TransportStats,
} from './transport.ts';

type Accept = (channel: MemoryChannel, remoteAddress: string) => void;

/**
 * The address space memory transports share. "mem://name" binds exactly that name; "mem://name:0" binds the
 * next free "port" under the name.
 */
export class MemoryNetwork {
  readonly #bound = new Map<string, Accept>();
  #nextPort = 0;

  bind(address: string, accept: Accept): string {
    let bound = address.startsWith('mem://') ? address : `mem://${address}`;
    if (bound.endsWith(':0')) bound = `${bound.slice(0, -2)}:${++this.#nextPort}`;
    if (bound === 'mem://' || this.#bound.has(bound)) {
      throw new MicroError('UNAVAILABLE', `cannot listen on ${address}: address in use or empty`);
    }
    this.#bound.set(bound, accept);
    return bound;
  }

  unbind(address: string): void {
    this.#bound.delete(address);
  }

  lookup(address: string): Accept | undefined {
    return this.#bound.get(address.startsWith('mem://') ? address : `mem://${address}`);
  }

  /** A fresh address for the dialing end of a connection. */
  ephemeral(): string {
    return `mem://ephemeral:${++this.#nextPort}`;
  }
}

export const createMemoryNetwork = (): MemoryNetwork => new MemoryNetwork();

export interface MemoryTransportOptions extends ConnectionOptions {
  /** The network to listen and dial on; pass the same one to every node that should see the others. @default a new network */
  network?: MemoryNetwork;
}

export function defaultMemoryTransportOptions(): Required<MemoryTransportOptions> {
  return { ...defaultConnectionOptions(), network: new MemoryNetwork() };
}

/**
 * Creates a memory transport.
 *
 * @example
 * const network = createMemoryNetwork();
 * await createMemoryTransport({ network }).listen('mem://a', onConnection);
 * const conn = await createMemoryTransport({ network }).dial('mem://a');
 */
export function createMemoryTransport(options: MemoryTransportOptions = {}): MemoryTransport {
  return new MemoryTransport(options);
}

export class MemoryTransport implements Transport {
  readonly name = 'memory';
  readonly #options: Required<MemoryTransportOptions>;
  readonly #stats = createTransportStats();
  readonly #tag = randomUUID().slice(0, 8);
  readonly #connections = new Set<FrameConnection>();
  readonly #listeners = new Set<Listener>();
  #nextId = 0;
  #closed = false;

  constructor(options: MemoryTransportOptions = {}) {
    this.#options = { ...defaultMemoryTransportOptions(), ...options };
  }

  stats(): TransportStats {
    return { ...this.#stats };
  }

  /** Dials `mem://` addresses. */
  canDial(address: string): boolean {
    return address.startsWith('mem://');
  }

  async listen(address: string, onConnection: (conn: Connection) => void): Promise<Listener> {
    if (this.#closed) throw new MicroError('UNAVAILABLE', 'memory transport is closed');
    const network = this.#options.network;
    const accepted = new Set<FrameConnection>();
    const bound = network.bind(address, (channel, remoteAddress) => {
      const conn = this.#wrap(channel, bound, remoteAddress, accepted);
      try {
        onConnection(conn);
      } catch (err) {
        this.#options.logger.error({ connection: conn.id, err }, 'transport: onConnection threw');
        conn.close(MicroError.from(err));
      }
    });
    const listener: Listener = {
      address: bound,
      close: async () => {
        this.#listeners.delete(listener);
        network.unbind(bound);
        for (const conn of accepted) conn.close();
      },
    };
    this.#listeners.add(listener);
    return listener;
  }

  async dial(address: string, options: DialOptions = {}): Promise<Connection> {
    if (this.#closed) throw new MicroError('UNAVAILABLE', 'memory transport is closed');
    if (options.signal?.aborted) throw new MicroError('CANCELLED', `dial ${address} aborted`);
    const accept = this.#options.network.lookup(address);
    if (accept === undefined) throw new MicroError('CONNECT_FAILED', `dial ${address} failed: nothing listens there`);
    const [local, remote] = MemoryChannel.pair();
    const localAddress = this.#options.network.ephemeral();
    const conn = this.#wrap(local, localAddress, address, undefined);
    accept(remote, localAddress);
    return conn;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#listeners].map((listener) => listener.close()));
    for (const conn of this.#connections) conn.close();
  }

  #wrap(
    channel: MemoryChannel,
    localAddress: string,
    remoteAddress: string,
    group: Set<FrameConnection> | undefined,
  ): FrameConnection {
    const conn = trackedConnection(
      { id: `memory-${this.#tag}-${++this.#nextId}`, localAddress, remoteAddress, channel, options: this.#options, stats: this.#stats },
      this.#connections,
      group,
    );
    channel.attach(conn);
    if (this.#closed) conn.close();
    return conn;
  }
}
