/**
 * One connection's byte pipe over NATS, with socket semantics for {@link FrameConnection}: writes become DATA
 * messages to the peer's subject (split at the server's payload limit, in order), `end` and `destroy` become END
 * and RESET, and what arrives for this connection is fed to it. NATS has no per-connection backpressure, so while
 * reading is paused arrivals are held, up to a cap past which the connection closes.
 */
import type { FrameConnection } from '../../mesh/transport/frame-connection.ts';
import { encodeWire, WireKind } from './wire.ts';

/** Where a channel sends: the peer's subject and its connection id and token. */
export interface ChannelPeer {
  subject: string;
  conn: number;
  token: number;
}

export interface NatsChannelInit {
  publish(subject: string, payload: Uint8Array, reply?: string): void;
  /**
   * The reply subject DATA is sent with: when nothing subscribes to the peer's subject any more (its process is
   * gone), the server answers there with a no-responders status, and the connection breaks at once.
   */
  replyTo: string;
  /** Largest payload the server takes. */
  maxPayload: number;
  /** The clock's time, for liveness probes. */
  now(): number;
  /** Bytes held while paused before the connection closes. */
  maxPausedBytes: number;
  /** Called once when the channel is closed, either way. */
  onGone(): void;
}

const EMPTY = new Uint8Array(0);

export class NatsChannel {
  readonly writableLength = 0;
  readonly writableHighWaterMark = 64 * 1024;
  readonly #init: NatsChannelInit;
  #peer: ChannelPeer | undefined;
  #conn: FrameConnection | undefined;
  #paused = false;
  #held: Buffer[] = [];
  #heldBytes = 0;
  #ending = false;
  #peerEnded = false;
  #closed = false;
  #closeError: Error | undefined;
  // When this side last sent DATA, last heard from the peer, and last probed it (clock time).
  #sentAt = 0;
  #heardAt = 0;
  #probedAt = 0;

  constructor(init: NatsChannelInit, peer?: ChannelPeer) {
    this.#init = init;
    this.#peer = peer;
  }

  /** The peer, once known (a dialer learns it from OPENED). */
  connect(peer: ChannelPeer): void {
    this.#peer = peer;
  }

  /** Hands what arrived before the connection existed to it. */
  attach(conn: FrameConnection): void {
    this.#conn = conn;
    if (this.#closed) {
      const error = this.#closeError;
      setImmediate(() => conn.channelClosed(error));
      return;
    }
    this.resume();
  }

  get closed(): boolean {
    return this.#closed;
  }

  write(chunk: Uint8Array): boolean {
    if (this.#ending || this.#closed) return false;
    this.#sentAt = this.#init.now();
    const step = this.#init.maxPayload - 9;
    for (let at = 0; at < chunk.byteLength; at += step) {
      this.#send(WireKind.DATA, chunk, at, Math.min(chunk.byteLength, at + step));
    }
    return true;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    const conn = this.#conn;
    if (conn === undefined) return;
    while (this.#held.length > 0 && !this.#paused && !this.#closed) {
      const chunk = this.#held.shift() as Buffer;
      this.#heldBytes -= chunk.length;
      conn.receive(chunk);
    }
    if (this.#held.length === 0 && this.#peerEnded && !this.#closed) conn.channelEnded();
  }

  end(): void {
    if (this.#ending || this.#closed) return;
    this.#ending = true;
    this.#send(WireKind.END, EMPTY);
    if (this.#peerEnded) this.#close(undefined);
  }

  destroy(): void {
    if (this.#closed) return;
    const reason = this.#conn?.closeError?.message ?? 'connection closed';
    this.#send(WireKind.RESET, Buffer.from(reason.slice(0, 512)));
    this.#close(undefined);
  }

  /** A message for this connection arrived. */
  receive(kind: number, body: Buffer): void {
    if (this.#closed) return;
    this.#heardAt = this.#init.now();
    const conn = this.#conn;
    if (kind === WireKind.DATA) {
      // An empty DATA is a liveness probe: it carries nothing.
      if (body.length === 0) return;
      if (!this.#paused && conn !== undefined) {
        conn.receive(body);
        return;
      }
      // The subscription's buffer is not ours to keep.
      this.#held.push(Buffer.from(body));
      this.#heldBytes += body.length;
      if (this.#heldBytes > this.#init.maxPausedBytes) {
        const error = new Error(`peer sent ${this.#heldBytes} bytes while reading was paused (limit ${this.#init.maxPausedBytes})`);
        this.#send(WireKind.RESET, Buffer.from(error.message));
        this.#close(error);
      }
      return;
    }
    if (kind === WireKind.END) {
      this.#peerEnded = true;
      if (this.#held.length === 0) conn?.channelEnded();
      if (this.#ending) this.#close(undefined);
      return;
    }
    if (kind === WireKind.RESET) this.#close(new Error(`connection reset by peer: ${body.toString('utf8')}`));
  }

  /**
   * Probes a peer that has not been heard from since this side last sent, for `afterMs`: an empty DATA, whose reply
   * subject hears "no responders" if the peer's process is gone, so a call waiting on a dead peer fails at once.
   */
  probe(now: number, afterMs: number): void {
    if (this.#closed || this.#peer === undefined || this.#sentAt <= this.#heardAt) return;
    if (now - this.#sentAt < afterMs || now - this.#probedAt < afterMs) return;
    this.#probedAt = now;
    this.#send(WireKind.DATA, EMPTY);
  }

  /** The node's link to NATS is gone: the connection breaks. */
  lost(error: Error): void {
    this.#close(error);
  }

  #send(kind: WireKind, body: Uint8Array, start = 0, end = body.byteLength): void {
    const peer = this.#peer;
    if (peer === undefined) return;
    try {
      const payload = encodeWire(kind, peer.conn, peer.token, body, start, end);
      this.#init.publish(peer.subject, payload, kind === WireKind.DATA ? this.#init.replyTo : undefined);
    } catch (err) {
      queueMicrotask(() => this.#close(err instanceof Error ? err : new Error(String(err))));
    }
  }

  #close(error: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeError = error;
    this.#held = [];
    this.#heldBytes = 0;
    this.#init.onGone();
    const conn = this.#conn;
    if (conn !== undefined) setImmediate(() => conn.channelClosed(error));
  }
}
