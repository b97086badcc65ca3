/**
 * The transport contract: `listen` and `dial` give multiplexed connections that carry typed, length-prefixed binary
 * frames. TCP is the default and the fast path, memory is for tests, ws and NATS are plugins; each one passes
 * test/conformance/transport.ts.
 */

import type { Middleware } from '../middleware/middleware.ts';
import type { Service } from '../registry/registry.ts';

/**
 * Every frame type on the wire. The type byte leaves room for more (up to 63); a decoder closes the connection on a
 * type it does not know.
 */
export const FrameType = {
  HELLO: 1,
  REQUEST: 2,
  RESPONSE: 3,
  ERROR: 4,
  STREAM_DATA: 5,
  STREAM_END: 6,
  CANCEL: 7,
  CREDIT: 8,
  MESSAGE: 9,
  PING: 10,
  PONG: 11,
  GOAWAY: 12,
  PUBLISH: 13,
  /** A node asks a peer to vouch for a HELLO nonce (identity check by dial-back); answered with RESPONSE. */
  VERIFY: 14,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/**
 * One frame. `header` is opaque to the transport (the mesh layer encodes its own, at most 65_535 bytes); `body` is
 * the codec payload. Received frames may be views into the socket's chunk: copy them to keep them past the handler
 * call if the bytes are to be mutated.
 */
export interface Frame {
  type: FrameType;
  /** 8 bits the mesh layer defines. */
  flags: number;
  /** u32; 0 is the connection itself. */
  streamId: number;
  header: Uint8Array;
  body: Uint8Array;
}

/** What a connection reports to its owner. */
export interface ConnectionHandler {
  /** A frame arrived. PING and PONG are answered inside the connection and never arrive here. */
  onFrame(frame: Frame): void;
  /** The connection closed, from either side: `undefined` for a clean close, else why. Called once. */
  onClose(error: Error | undefined): void;
  /** The write buffer fell below its high-water mark after `send` had returned false. */
  onDrain?(): void;
}

/** One multiplexed connection to a peer. */
/** The other side's certificate, verified against the transport's CA (TLS transports only). */
export interface PeerCertificate {
  /** The subject's common name (CN). */
  readonly name: string;
  /** The subject's organizational units (OU), e.g. the scopes given to a service. */
  readonly units: readonly string[];
  /** SHA-256 fingerprint. */
  readonly fingerprint: string;
}

export interface Connection {
  /** Unique within the process. */
  readonly id: string;
  /** The other side's verified certificate, on a TLS connection that asked for one. */
  readonly peerCertificate?: PeerCertificate | undefined;
  readonly localAddress: string;
  readonly remoteAddress: string;
  /** Installs (or replaces) the handler. Frames and a close that arrived before the first handler are delivered now. */
  setHandler(handler: ConnectionHandler): void;
  /**
   * Queues a frame; queued frames are written together once per tick. Its bytes are copied before `send` returns,
   * so the caller may reuse them. Returns false when the write buffer is over its high-water mark (then `onDrain`
   * fires once it has drained). Throws a MicroError: PAYLOAD_TOO_LARGE for a frame over the size limit (nothing is
   * written), BAD_REQUEST for an invalid type, flags or stream id, UNAVAILABLE once the connection is closed.
   * Past the hard cap on buffered bytes (`maxBufferedBytes`, far above the high-water mark) the peer is taken to
   * have stopped reading: `send` closes the connection at once (`onClose` hears the same error) and throws
   * UNAVAILABLE, retryable, like any send on a closed connection; nothing of that frame is written.
   */
  send(frame: Frame): boolean;
  /** Bytes queued or written but not yet taken by the peer's side (kernel or channel). */
  readonly bufferedBytes: number;
  /**
   * Stops reading from the peer, so its writes back up (its `send` returns false) instead of growing this side's
   * memory: the mesh layer calls it while a peer's responses are not drained. Frames already decoded from a chunk
   * being read may still be delivered (at most the rest of that chunk); after that nothing is, until
   * `resumeReading`. Idempotent and not counted: one `resumeReading` undoes any number of calls. While paused, the
   * frame deadline stops and the heartbeat takes the peer's reading of our writes as a sign of life. No-op once
   * closed.
   */
  pauseReading(): void;
  /** Reads again after `pauseReading`; what the peer sent meanwhile arrives in order. Idempotent. */
  resumeReading(): void;
  readonly closed: boolean;
  /** Flushes what was sent, then closes. Idempotent; `onClose` fires once, with `error` if one was given. */
  close(error?: Error): void;
}

/** A bound listener. */
export interface Listener {
  /** The address actually bound ("127.0.0.1:41234" for "127.0.0.1:0"). */
  readonly address: string;
  /** Every address bound, `address` first, when there are more than one (a node listening on several transports). */
  readonly addresses?: readonly string[];
  /** Stops accepting and closes the connections it accepted. */
  close(): Promise<void>;
}

/** Counters a transport keeps over its lifetime. */
export interface TransportStats {
  connectionsOpened: number;
  connectionsClosed: number;
  /** Connections closed because of bad bytes (garbled, oversized or unknown frames). */
  protocolErrors: number;
  /** TLS handshakes refused (a certificate missing, or not signed by the CA); TLS transports only. */
  handshakeFailures?: number;
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
}

export interface DialOptions {
  /** Gives up with CONNECT_FAILED after this long; the transport's own default applies when absent. */
  timeoutMs?: number;
  /** Aborting rejects the dial with CANCELLED. */
  signal?: AbortSignal;
}

/** What a transport may know of the node it carries, for protocols of its medium (NATS `$SRV` discovery). */
export interface TransportNode {
  readonly nodeId: string;
  /** The services the node has registered so far (its own `micromesh.node` among them). */
  services(): readonly Service[];
}

/** A way to reach peers. */
export interface Transport {
  readonly name: string;
  /**
   * Whether this transport can dial `address`; a caller skips a node's addresses it cannot dial. Absent means every
   * address is tried.
   */
  canDial?(address: string): boolean;
  /**
   * Called once by the node that owns the transport, before it starts; the returned middleware joins the node's
   * chain (e.g. to count each endpoint's calls). Absent means the transport needs nothing of the node.
   */
  attachNode?(node: TransportNode): readonly Middleware[];
  /** Binds `address` ("127.0.0.1:0" picks a free port) and hands every accepted connection to `onConnection`. */
  listen(address: string, onConnection: (conn: Connection) => void): Promise<Listener>;
  /** Connects; rejects with a retryable MicroError CONNECT_FAILED naming the address on failure or timeout. */
  dial(address: string, options?: DialOptions): Promise<Connection>;
  /** A snapshot of the counters. */
  stats(): TransportStats;
  /** Closes every listener and connection; later dials and listens fail with UNAVAILABLE. */
  close(): Promise<void>;
}

export function createTransportStats(): TransportStats {
  return { connectionsOpened: 0, connectionsClosed: 0, protocolErrors: 0, handshakeFailures: 0, framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0 };
}
