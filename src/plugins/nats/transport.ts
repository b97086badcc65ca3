/**
 * The NATS transport: the same frames, connections, handshake, limits and flow control as TCP, carried over NATS
 * subjects. A node listens at `nats://<node-id>`; everything sent to its connections, accepted or dialed, arrives on
 * one subscription (`<prefix>.<node>.>`) and is routed by connection id in the message, so a reply costs no
 * per-request inbox or subscription. A dial is one request to `<prefix>.<node>.l` (no responders fails it at once).
 * DATA carries a reply subject naming its connection, and a connection waiting on a silent peer probes it: when the
 * peer's process is gone, the server's no-responders answer breaks the connection at once, not at the heartbeat
 * timeout.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Msg, NatsConnection, Status, Subscription } from 'nats';
import { MicroError } from '../../mesh/errors.ts';
import type { Middleware } from '../../mesh/middleware/middleware.ts';
import type { FrameConnection } from '../../mesh/transport/frame-connection.ts';
import { trackedConnection } from '../../mesh/transport/tracked-connection.ts';
import {
  type Connection,
  createTransportStats,
  type DialOptions,
  type Listener,
  type Transport,
  type TransportNode,
  type TransportStats,
} from '../../mesh/transport/transport.ts';
import { type ChannelPeer, NatsChannel } from './channel.ts';
import { defaultNatsTransportOptions, type NatsTransportOptions } from './transport-options.ts';
import { serveNatsDiscovery } from './srv.ts';
import { decodeWireHead, encodeWire, subjectToken, WIRE_HEAD_BYTES, WireKind, wireBody } from './wire.ts';

export interface NatsTransportInit {
  /** The node's NATS connection (shared; the transport never closes it). */
  nc: NatsConnection;
  /** The node id: the transport listens at `nats://<nodeId>`. */
  nodeId: string;
  /** Called once when the transport closes, e.g. to release a shared lease. */
  release?(): Promise<void>;
}

const SCHEME = 'nats://';
const SUBJECT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export { defaultNatsTransportOptions, type NatsTransportOptions } from './transport-options.ts';

/**
 * Creates a NATS transport over a connection.
 * @example
 * const transport = createNatsTransport({ nc, nodeId: 'a' });
 * await transport.listen('nats://a', (conn) => conn.setHandler(handler));
 * const conn = await createNatsTransport({ nc: other, nodeId: 'b' }).dial('nats://a');
 */
export function createNatsTransport(init: NatsTransportInit, options: NatsTransportOptions = {}): NatsTransport {
  return new NatsTransport(init, options);
}

interface Entry {
  token: number;
  channel: NatsChannel;
}

export class NatsTransport implements Transport {
  readonly name = 'nats' as const;
  readonly #init: NatsTransportInit;
  readonly #options: Required<NatsTransportOptions>;
  readonly #stats = createTransportStats();
  readonly #tag = randomUUID().slice(0, 8);
  readonly #token: string;
  /** Where this transport's connections receive. */
  readonly #subject: string;
  readonly #channels = new Map<number, Entry>();
  readonly #connections = new Set<FrameConnection>();
  readonly #accepted = new Set<FrameConnection>();
  #sub: Subscription | undefined;
  #accept: ((conn: Connection) => void) | undefined;
  #listenAddress: string | undefined;
  #discovery: { close(): void } | undefined;
  #nextConn = 0;
  #nextId = 0;
  #down = false;
  #closed = false;
  #status: { stop(): void } | undefined;
  #probeTimer: unknown;

  constructor(init: NatsTransportInit, options: NatsTransportOptions = {}) {
    this.#init = init;
    this.#options = { ...defaultNatsTransportOptions(), ...options };
    this.#token = subjectToken(init.nodeId);
    this.#subject = `${this.#options.subjectPrefix}.${this.#token}.${this.#tag}`;
    void this.#watchStatus();
    if (this.#options.probeAfterMs > 0) this.#probeTimer = this.#options.clock.setTimeout(this.#probe, this.#options.probeAfterMs);
  }

  readonly #probe = (): void => {
    const { clock, probeAfterMs } = this.#options;
    if (this.#closed) return;
    if (!this.#down) {
      const now = clock.now();
      for (const { channel } of this.#channels.values()) channel.probe(now, probeAfterMs);
    }
    this.#probeTimer = clock.setTimeout(this.#probe, probeAfterMs);
  };

  stats(): TransportStats {
    return { ...this.#stats };
  }

  /** Dials only `nats://` addresses. */
  canDial(address: string): boolean {
    return address.startsWith(SCHEME);
  }

  /** Answers `$SRV` discovery for the node's services, counting each endpoint's calls through the returned middleware. */
  attachNode(node: TransportNode): readonly Middleware[] {
    // One node per transport: a second node given the same instance is not announced again.
    if (!this.#options.discovery || this.#closed || this.#discovery !== undefined) return [];
    const discovery = serveNatsDiscovery(this.#init.nc, node, this.#options.logger);
    this.#discovery = discovery;
    return [discovery.middleware];
  }

  /**
   * Listens at `nats://<node-id>`; any other address (a node's default `127.0.0.1:0`) means this node's own id.
   * Only the node's own id can be listened at.
   */
  async listen(address: string, onConnection: (conn: Connection) => void): Promise<Listener> {
    if (this.#closed) throw new MicroError('UNAVAILABLE', 'nats transport is closed');
    const id = address.startsWith(SCHEME) ? address.slice(SCHEME.length) : this.#init.nodeId;
    if (subjectToken(id) !== this.#token) {
      throw new MicroError('BAD_REQUEST', `cannot listen on ${address}: this transport listens at ${SCHEME}${this.#init.nodeId}`);
    }
    if (this.#accept !== undefined) throw new MicroError('UNAVAILABLE', `cannot listen on ${address}: already listening`);
    this.#subscribe();
    // The server has the subscription once the flush returns: a dial right after listen finds it.
    await this.#init.nc.flush().catch((err: unknown) => {
      throw new MicroError('UNAVAILABLE', `cannot listen on ${address}: ${(err as Error).message}`, { cause: err });
    });
    this.#accept = onConnection;
    const bound = `${SCHEME}${this.#init.nodeId}`;
    this.#listenAddress = bound;
    return {
      address: bound,
      close: async () => {
        this.#accept = undefined;
        this.#listenAddress = undefined;
        for (const conn of [...this.#accepted]) conn.close();
      },
    };
  }

  async dial(address: string, options: DialOptions = {}): Promise<Connection> {
    if (this.#closed) throw new MicroError('UNAVAILABLE', 'nats transport is closed');
    if (!address.startsWith(SCHEME) || address.length === SCHEME.length) {
      throw new MicroError('BAD_REQUEST', `invalid NATS transport address "${address}": want nats://<node-id>`);
    }
    if (options.signal?.aborted) throw new MicroError('CANCELLED', `dial ${address} aborted`);
    if (this.#down || this.#init.nc.isClosed()) {
      throw new MicroError('CONNECT_FAILED', `dial ${address} failed: the NATS connection is down`);
    }
    this.#subscribe();
    const timeoutMs = options.timeoutMs ?? this.#options.connectTimeoutMs;
    const { conn: connId, token, channel } = this.#open();
    const hello = Buffer.from(`${this.#subject}\n${this.#listenAddress ?? `${SCHEME}${this.#init.nodeId}`}`);
    const target = `${this.#options.subjectPrefix}.${subjectToken(address.slice(SCHEME.length))}.l`;
    let peer: ChannelPeer;
    try {
      const reply = await this.#request(target, encodeWire(WireKind.OPEN, connId, token, hello), timeoutMs, options.signal, address);
      peer = this.#opened(reply, connId, token, address);
    } catch (err) {
      this.#channels.delete(connId);
      throw err;
    }
    channel.connect(peer);
    return this.#wrap(channel, address, undefined);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#accept = undefined;
    this.#discovery?.close();
    this.#status?.stop();
    this.#options.clock.clearTimeout(this.#probeTimer);
    for (const conn of [...this.#connections]) conn.close();
    const nc = this.#init.nc;
    if (!nc.isClosed()) await nc.flush().catch(() => {});
    this.#sub?.unsubscribe();
    this.#sub = undefined;
    await this.#init.release?.();
  }

  #request(subject: string, payload: Uint8Array, timeoutMs: number, signal: AbortSignal | undefined, address: string): Promise<Msg> {
    const request = this.#init.nc.request(subject, payload, { timeout: timeoutMs }).catch((err: unknown) => {
      const code = (err as { code?: unknown }).code;
      const why = code === '503' ? 'nothing listens there' : code === 'TIMEOUT' ? `timed out after ${timeoutMs} ms` : String((err as Error).message);
      throw new MicroError('CONNECT_FAILED', `dial ${address} failed: ${why}`, { cause: err });
    });
    if (signal === undefined) return request;
    return new Promise<Msg>((resolve, reject) => {
      const onAbort = (): void => reject(new MicroError('CANCELLED', `dial ${address} aborted`));
      signal.addEventListener('abort', onAbort, { once: true });
      request.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** The listener's side from its OPENED reply; a refusal or a reply that does not match is CONNECT_FAILED. */
  #opened(reply: Msg, connId: number, token: number, address: string): ChannelPeer {
    const head = decodeWireHead(reply.data);
    const body = head === undefined ? undefined : wireBody(reply.data);
    if (head?.kind === WireKind.RESET && body !== undefined) {
      throw new MicroError('CONNECT_FAILED', `dial ${address} refused: ${body.toString('utf8')}`);
    }
    if (head?.kind !== WireKind.OPENED || head.conn !== connId || head.token !== token || body === undefined || body.length < 9) {
      throw new MicroError('CONNECT_FAILED', `dial ${address} failed: malformed answer`);
    }
    const subject = body.subarray(8).toString('utf8');
    if (!SUBJECT.test(subject)) throw new MicroError('CONNECT_FAILED', `dial ${address} failed: malformed answer`);
    return { subject, conn: body.readUInt32BE(0), token: body.readUInt32BE(4) };
  }

  #subscribe(): void {
    if (this.#sub !== undefined) return;
    this.#sub = this.#init.nc.subscribe(`${this.#options.subjectPrefix}.${this.#token}.>`, {
      callback: (err, msg) => {
        if (err === null) this.#onMessage(msg);
      },
    });
  }

  readonly #onMessage = (msg: Msg): void => {
    const data = msg.data;
    if (data.byteLength === 0 && msg.headers?.code === 503) {
      this.#peerGone(msg.subject);
      return;
    }
    const head = decodeWireHead(data);
    if (head === undefined) {
      this.#refuse(msg, 'malformed message');
      return;
    }
    if (head.kind === WireKind.OPEN) {
      // Another process under the same node id may be the listener: only the listener answers.
      if (this.#accept !== undefined && msg.subject.endsWith('.l')) this.#accepting(msg, head.conn, head.token);
      return;
    }
    const entry = this.#channels.get(head.conn);
    if (entry === undefined || entry.token !== head.token) {
      this.#refuse(msg, 'unknown connection');
      return;
    }
    entry.channel.receive(head.kind, wireBody(data));
  };

  /** The server's no-responders answer to DATA of connection `<subject>.<conn>`: the peer's subscription is gone. */
  #peerGone(subject: string): void {
    if (!subject.startsWith(`${this.#subject}.`)) return;
    const conn = Number(subject.slice(this.#subject.length + 1));
    this.#channels.get(conn)?.channel.lost(new Error('the peer is gone: nothing subscribes to its subject any more'));
  }

  /** A message that fits no connection is counted and dropped; one with a reply subject hears why. */
  #refuse(msg: Msg, why: string): void {
    this.#stats.protocolErrors++;
    if (msg.reply) msg.respond(encodeWire(WireKind.RESET, 0, 0, Buffer.from(why)));
  }

  #accepting(msg: Msg, peerConn: number, peerToken: number): void {
    const onConnection = this.#accept;
    if (onConnection === undefined || !msg.reply) return;
    if (this.#accepted.size >= this.#options.maxConnections) {
      this.#refuse(msg, `too many connections (limit ${this.#options.maxConnections})`);
      return;
    }
    const [subject, address] = wireBody(msg.data).toString('utf8').split('\n');
    if (subject === undefined || address === undefined || subject.length > 255 || !SUBJECT.test(subject) || address.length > 255) {
      this.#refuse(msg, 'malformed OPEN');
      return;
    }
    const { conn, token, channel } = this.#open();
    channel.connect({ subject, conn: peerConn, token: peerToken });
    const ids = Buffer.allocUnsafe(8 + Buffer.byteLength(this.#subject));
    ids.writeUInt32BE(conn, 0);
    ids.writeUInt32BE(token, 4);
    ids.write(this.#subject, 8);
    msg.respond(encodeWire(WireKind.OPENED, peerConn, peerToken, ids));
    const accepted = this.#wrap(channel, address, this.#accepted);
    try {
      onConnection(accepted);
    } catch (err) {
      this.#options.logger.error({ connection: accepted.id, err }, 'transport: onConnection threw');
      accepted.close(MicroError.from(err));
    }
  }

  #open(): { conn: number; token: number; channel: NatsChannel } {
    let conn = (this.#nextConn + 1) >>> 0;
    while (conn === 0 || this.#channels.has(conn)) conn = (conn + 1) >>> 0;
    this.#nextConn = conn;
    const token = randomBytes(4).readUInt32BE(0);
    const nc = this.#init.nc;
    const channel = new NatsChannel({
      publish: (subject, payload, reply) => nc.publish(subject, payload, reply === undefined ? undefined : { reply }),
      replyTo: `${this.#subject}.${conn}`,
      maxPayload: Math.max(1024, (nc.info?.max_payload ?? 1024 * 1024) - WIRE_HEAD_BYTES),
      maxPausedBytes: this.#options.maxBufferedBytes,
      now: () => this.#options.clock.now(),
      onGone: () => this.#channels.delete(conn),
    });
    this.#channels.set(conn, { token, channel });
    return { conn, token, channel };
  }

  #wrap(channel: NatsChannel, remoteAddress: string, group: Set<FrameConnection> | undefined): FrameConnection {
    const localAddress = this.#listenAddress ?? `${SCHEME}${this.#init.nodeId}`;
    const conn = trackedConnection(
      { id: `nats-${this.#tag}-${++this.#nextId}`, localAddress, remoteAddress, channel, options: this.#options, stats: this.#stats },
      this.#connections,
      group,
    );
    channel.attach(conn);
    if (this.#closed) conn.close();
    return conn;
  }

  /** While the link to NATS is down nothing can be carried: every connection breaks at once and dials fail fast. */
  async #watchStatus(): Promise<void> {
    const status = this.#init.nc.status() as AsyncIterable<Status> & { stop(): void };
    this.#status = status;
    for await (const s of status) {
      if (this.#closed) return;
      if (s.type === 'disconnect') {
        this.#down = true;
        const error = new Error('the NATS connection was lost');
        for (const { channel } of [...this.#channels.values()]) channel.lost(error);
      } else if (s.type === 'reconnect') {
        this.#down = false;
      }
    }
  }
}
