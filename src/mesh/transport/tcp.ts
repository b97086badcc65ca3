/**
 * The default transport: one TCP connection per peer pair over node:net, Nagle off, frames batched into one write
 * per tick, heartbeats, and the frame size limit on both directions.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { MicroError } from '../errors.ts';
import { schemeOf } from './addresses.ts';
import { type ConnectionOptions, defaultConnectionOptions } from './connection-options.ts';
import { FrameConnection } from './frame-connection.ts';
import { type TcpTlsOptions, tlsClientOptions, tlsServerOptions, verifiedCertificate } from './tls.ts';
import {
  type Connection,
  createTransportStats,
  type DialOptions,
  type Listener,
  type Transport,
  type TransportStats,
} from './transport.ts';

export interface TcpTransportOptions extends ConnectionOptions {
  /** A dial without its own `timeoutMs` fails with CONNECT_FAILED after this long. @default 5000 */
  connectTimeoutMs?: number;
  /** TLS on every connection, listened and dialed: key, cert, ca, and `requestCert` for mutual TLS. @default undefined (plain TCP) */
  tls?: TcpTlsOptions;
}

export function defaultTcpTransportOptions(): Required<Omit<TcpTransportOptions, 'tls'>> {
  return { ...defaultConnectionOptions(), connectTimeoutMs: 5000 };
}

/**
 * Creates a TCP transport. Addresses are "host:port", "[v6]:port" or either with a `tcp://` prefix.
 *
 * @example
 * const transport = createTcpTransport({ logger });
 * const listener = await transport.listen('127.0.0.1:0', (conn) => conn.setHandler(handler));
 * const conn = await createTcpTransport().dial(listener.address);
 */
export function createTcpTransport(options: TcpTransportOptions = {}): TcpTransport {
  return new TcpTransport(options);
}

/** Splits "host:port", "[::1]:port" or "tcp://host:port"; throws BAD_REQUEST on anything else. */
export function parseTcpAddress(address: string): { host: string; port: number } {
  const bare = address.startsWith('tcp://') ? address.slice(6) : address;
  const colon = bare.lastIndexOf(':');
  let host = bare.slice(0, colon);
  const portText = bare.slice(colon + 1);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const port = Number(portText);
  if (colon <= 0 || host === '' || portText === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new MicroError('BAD_REQUEST', `invalid TCP address "${address}": want host:port`);
  }
  return { host, port };
}

const ignore = (): void => {};

/** "host:port", with brackets around an IPv6 host. */
export const formatTcpAddress = (host: string, port: number): string =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

export class TcpTransport implements Transport {
  readonly name = 'tcp' as const;
  readonly #options: Required<Omit<TcpTransportOptions, 'tls'>>;
  readonly #tls: TcpTlsOptions | undefined;
  readonly #stats = createTransportStats();
  readonly #tag = randomUUID().slice(0, 8);
  readonly #sockets = new Set<net.Socket>();
  readonly #socketClosed = new Map<net.Socket, Promise<void>>();
  readonly #connections = new Set<FrameConnection>();
  readonly #listeners = new Set<Listener>();
  readonly #pendingDials = new Set<(error: MicroError) => void>();
  #nextId = 0;
  #closed = false;

  constructor(options: TcpTransportOptions = {}) {
    const { tls: tlsOptions, ...rest } = options;
    this.#options = { ...defaultTcpTransportOptions(), ...rest };
    this.#tls = tlsOptions;
  }

  stats(): TransportStats {
    return { ...this.#stats };
  }

  /** Dials `host:port` and `tcp://host:port`, not addresses of another scheme. */
  canDial(address: string): boolean {
    return schemeOf(address) === 'tcp';
  }

  async listen(address: string, onConnection: (conn: Connection) => void): Promise<Listener> {
    if (this.#closed) throw new MicroError('UNAVAILABLE', 'tcp transport is closed');
    const { host, port } = parseTcpAddress(address);
    const accepted = new Set<FrameConnection>();
    const handshaking = new Set<net.Socket>();
    const onSocket = (socket: net.Socket): void => {
      handshaking.delete(socket);
      const conn = this.#wrap(socket, accepted);
      try {
        onConnection(conn);
      } catch (err) {
        this.#options.logger.error({ connection: conn.id, err }, 'transport: onConnection threw');
        conn.close(MicroError.from(err));
      }
    };
    const server = this.#tls === undefined ? net.createServer(onSocket) : tls.createServer(tlsServerOptions(this.#tls), onSocket);
    if (this.#tls !== undefined) {
      // A TLS socket reaches onSocket only once its handshake succeeded; until then it is held here, and dropped on close.
      server.on('connection', (socket: net.Socket) => {
        handshaking.add(socket);
        socket.once('close', () => handshaking.delete(socket));
      });
      server.on('tlsClientError', (err, socket) => {
        this.#stats.handshakeFailures = (this.#stats.handshakeFailures ?? 0) + 1;
        this.#options.logger.warn({ address, remote: socket.remoteAddress, reason: err.message }, 'transport: TLS handshake refused');
      });
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(new MicroError('UNAVAILABLE', `cannot listen on ${address}: ${err.message}`, { cause: err })),
      );
      server.listen(port, host, resolve);
    });
    server.on('error', (err) => this.#options.logger.error({ address, err }, 'transport: listener error'));
    const bound = server.address() as net.AddressInfo;
    const listener: Listener = {
      address: formatTcpAddress(bound.address, bound.port),
      close: () => {
        this.#listeners.delete(listener);
        const done = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const conn of accepted) conn.close();
        for (const socket of handshaking) socket.destroy();
        return done;
      },
    };
    this.#listeners.add(listener);
    return listener;
  }

  dial(address: string, options: DialOptions = {}): Promise<Connection> {
    if (this.#closed) return Promise.reject(new MicroError('UNAVAILABLE', 'tcp transport is closed'));
    let host: string;
    let port: number;
    try {
      ({ host, port } = parseTcpAddress(address));
    } catch (err) {
      return Promise.reject(err);
    }
    const timeoutMs = options.timeoutMs ?? this.#options.connectTimeoutMs;
    const signal = options.signal;
    const clock = this.#options.clock;
    if (signal?.aborted) return Promise.reject(new MicroError('CANCELLED', `dial ${address} aborted`));
    return new Promise<Connection>((resolve, reject) => {
      const socket = this.#tls === undefined ? net.connect({ host, port }) : tls.connect(tlsClientOptions(this.#tls, host, port));
      this.#track(socket);
      const settle = (error: MicroError | undefined): void => {
        if (!this.#pendingDials.delete(settle)) return;
        clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        socket.removeListener('error', onError);
        if (error === undefined) {
          resolve(this.#wrap(socket, undefined));
          return;
        }
        socket.on('error', ignore);
        socket.destroy();
        reject(error);
      };
      this.#pendingDials.add(settle);
      const onError = (err: Error): void =>
        settle(new MicroError('CONNECT_FAILED', `dial ${address} failed: ${err.message}`, { cause: err }));
      const onAbort = (): void => settle(new MicroError('CANCELLED', `dial ${address} aborted`));
      const timer = clock.setTimeout(
        () => settle(new MicroError('CONNECT_FAILED', `dial ${address} timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
      socket.once(this.#tls === undefined ? 'connect' : 'secureConnect', () => settle(undefined));
      socket.once('error', onError);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const listeners = [...this.#listeners].map((listener) => listener.close());
    for (const conn of this.#connections) conn.close();
    for (const settle of this.#pendingDials) settle(new MicroError('UNAVAILABLE', 'tcp transport closed while dialing'));
    await Promise.all([...listeners, ...this.#socketClosed.values()]);
  }

  #track(socket: net.Socket): void {
    this.#sockets.add(socket);
    this.#socketClosed.set(
      socket,
      new Promise<void>((resolve) =>
        socket.once('close', () => {
          this.#sockets.delete(socket);
          this.#socketClosed.delete(socket);
          resolve();
        }),
      ),
    );
  }

  #wrap(socket: net.Socket, group: Set<FrameConnection> | undefined): FrameConnection {
    if (!this.#sockets.has(socket)) this.#track(socket);
    socket.setNoDelay(true);
    const conn = new FrameConnection({
      id: `tcp-${this.#tag}-${++this.#nextId}`,
      localAddress: formatTcpAddress(socket.localAddress ?? '', socket.localPort ?? 0),
      remoteAddress: formatTcpAddress(socket.remoteAddress ?? '', socket.remotePort ?? 0),
      channel: socket,
      options: this.#options,
      stats: this.#stats,
      peerCertificate: this.#tls === undefined ? undefined : verifiedCertificate(socket as TLSSocket),
      onClosed: (closed) => {
        this.#connections.delete(closed);
        group?.delete(closed);
      },
    });
    this.#connections.add(conn);
    group?.add(conn);
    let broken: Error | undefined;
    socket.on('data', (chunk: Buffer) => conn.receive(chunk));
    socket.on('drain', () => conn.channelDrained());
    socket.on('end', () => conn.channelEnded());
    socket.on('error', (err) => {
      broken = err;
    });
    socket.on('close', () => conn.channelClosed(broken));
    if (this.#closed) conn.close();
    return conn;
  }
}
