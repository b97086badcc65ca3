import { randomBytes } from 'node:crypto';
import type { Clock } from '../../actors/clock.ts';
import type { Logger } from '../../actors/index.ts';
import { MicroError } from '../errors.ts';
import { decodeHello, encodeError, encodeHello, type HelloHeader, NO_HEADER, PROTOCOL_VERSION } from '../protocol.ts';
import { type Connection, type ConnectionHandler, type Frame, FrameType } from '../transport/transport.ts';
import type { PeerLimits } from './limits.ts';

/** One open exchange on a connection (a call, a stream, a verify), found by its stream id. */
export interface StreamSlot {
  /** RESPONSE, ERROR, STREAM_DATA, STREAM_END, CREDIT or CANCEL for this stream id. */
  onFrame(frame: Frame): void;
  /** The connection closed before the exchange ended. */
  onGone(error: MicroError): void;
}

/** What a peer reports to the directory that owns it. */
export interface PeerOwner {
  readonly clock: Clock;
  readonly log: Logger;
  /** A frame that opens something (REQUEST, MESSAGE, PUBLISH, VERIFY, …): routed by type. */
  route(peer: Peer, frame: Frame): void;
  /** Frame types processed while the acceptor still verifies the dialer's identity. */
  beforeReady(type: number): boolean;
  /** A proof of this node's identity for the HELLO it sends with `nonce` (auth on), or undefined. */
  helloProof?(nonce: Uint8Array): string | undefined;
  /** Throws when the other side's HELLO does not prove its id (auth on): the connection is closed at once. */
  checkHello?(hello: HelloHeader): void;
  /** The other side's HELLO arrived; an acceptor must call `verified` when it knows who the dialer is. */
  onHello(peer: Peer, hello: HelloHeader): void;
  onGoaway(peer: Peer): void;
  onClosed(peer: Peer, error: Error | undefined): void;
}

const State = { Hello: 0, Verifying: 1, Ready: 2, Closed: 3 } as const;
type State = (typeof State)[keyof typeof State];

/**
 * The mesh's side of one connection: the handshake, and the exchanges open on it in either direction. The dialing
 * side numbers its streams odd, the accepting side even. Nothing but HELLO is processed before the other side's
 * HELLO; on an accepted connection, what opens work (requests, messages) waits until the dialer's identity has been
 * checked. A peer holds bounded state: open exchanges the remote started are capped, duplicate ids are refused.
 */
export class Peer implements ConnectionHandler {
  /** What the other side's HELLO claimed. */
  remote: HelloHeader | undefined;
  /** The other node's id once proven (a dialer: the node we dialed; an acceptor: checked by dial-back). */
  verifiedId: string | undefined;
  draining = false;
  /** The nonce this side sent in its HELLO. */
  readonly nonce = randomBytes(16);
  readonly ready: Promise<void>;
  readonly #slots = new Map<number, StreamSlot>();
  #inbound = 0;
  readonly #inboundStreams = new Set<number>();
  #nextId: number;
  #state: State = State.Hello;
  #held: Frame[] | undefined;
  #timer: unknown;
  #readPaused = false;
  #ready!: () => void;
  #failed!: (err: Error) => void;

  constructor(
    readonly conn: Connection,
    readonly dialer: boolean,
    readonly owner: PeerOwner,
    readonly limits: PeerLimits,
    local: { nodeId: string; address: string },
  ) {
    this.#nextId = dialer ? 1 : 2;
    this.ready = new Promise((resolve, reject) => {
      this.#ready = resolve;
      this.#failed = reject;
    });
    this.ready.catch(() => {});
    this.#timer = owner.clock.setTimeout(() => this.#handshakeTimedOut(), limits.handshakeTimeoutMs);
    conn.setHandler(this);
    conn.send({ type: FrameType.HELLO, flags: 0, streamId: 0, header: encodeHello({ ...local, version: PROTOCOL_VERSION, nonce: this.nonce, proof: owner.helloProof?.(this.nonce) }), body: NO_HEADER });
  }

  /** The other node's id as a caller sees it: proven, or 'unverified'. */
  get caller(): string {
    return this.verifiedId ?? 'unverified';
  }

  get name(): string {
    return this.verifiedId ?? this.remote?.nodeId ?? this.conn.remoteAddress;
  }

  get isReady(): boolean {
    return this.#state === State.Ready;
  }

  // ---- exchanges -----------------------------------------------------------------------------------

  /** A fresh id for an exchange this side opens. */
  nextStreamId(): number {
    let id = this.#nextId;
    while (this.#slots.has(id)) id = this.#advance(id);
    this.#nextId = this.#advance(id);
    return id;
  }

  #advance(id: number): number {
    const next = id + 2;
    return next > 0xffff_fff0 ? (this.dialer ? 1 : 2) : next;
  }

  /** Registers an exchange this side opened. */
  open(id: number, slot: StreamSlot): void {
    this.#slots.set(id, slot);
  }

  /**
   * Registers an exchange the remote opened. A reused id closes the connection (protocol error); past the caps the
   * exchange is refused with a 503 OVERLOADED and the connection stays up. Returns whether it was accepted.
   */
  accept(id: number, slot: StreamSlot, stream: boolean): boolean {
    if ((id & 1) === (this.dialer ? 1 : 0)) {
      this.protocolError(`stream ${id} opened with this side's numbering`);
      return false;
    }
    if (this.#slots.has(id)) {
      this.protocolError(`stream ${id} opened twice`);
      return false;
    }
    if (this.#inbound >= this.limits.maxInflight || (stream && this.#inboundStreams.size >= this.limits.maxStreams)) {
      const what = stream ? `${this.#inboundStreams.size} streams` : `${this.#inbound} calls`;
      this.sendError(id, new MicroError('OVERLOADED', `${what} already open on this connection (limit ${stream ? this.limits.maxStreams : this.limits.maxInflight})`));
      return false;
    }
    this.#slots.set(id, slot);
    this.#inbound++;
    if (stream) this.#inboundStreams.add(id);
    return true;
  }

  /** Forgets an exchange (it ended). */
  close(id: number): void {
    const slot = this.#slots.get(id);
    if (slot === undefined) return;
    this.#slots.delete(id);
    if ((id & 1) !== (this.dialer ? 1 : 0)) {
      this.#inbound--;
      this.#inboundStreams.delete(id);
    }
  }

  get openExchanges(): number {
    return this.#slots.size;
  }

  get inboundExchanges(): number {
    return this.#inbound;
  }

  // ---- sending -------------------------------------------------------------------------------------

  /** Sends a frame; throws NODE_GONE once the connection is closed. Pauses reading while the peer does not read. */
  send(frame: Frame): void {
    if (this.conn.closed) throw new MicroError('NODE_GONE', `connection to ${this.name} closed`);
    if (!this.conn.send(frame) && !this.#readPaused) {
      this.#readPaused = true;
      this.conn.pauseReading();
    }
  }

  sendError(id: number, error: MicroError): void {
    if (!this.conn.closed) this.send({ type: FrameType.ERROR, flags: 0, streamId: id, header: NO_HEADER, body: encodeError(error) });
  }

  onDrain(): void {
    if (!this.#readPaused) return;
    this.#readPaused = false;
    this.conn.resumeReading();
  }

  // ---- receiving -----------------------------------------------------------------------------------

  onFrame(frame: Frame): void {
    try {
      if (this.#state === State.Verifying && !this.owner.beforeReady(frame.type)) return this.#hold(frame);
      switch (frame.type) {
        case FrameType.RESPONSE:
        case FrameType.ERROR:
        case FrameType.STREAM_DATA:
        case FrameType.STREAM_END:
        case FrameType.CREDIT:
        case FrameType.CANCEL:
          if (this.#state === State.Hello) throw new MicroError('PROTOCOL_ERROR', 'frame before HELLO');
          this.#slots.get(frame.streamId)?.onFrame(frame);
          return;
        case FrameType.HELLO:
          return this.#onHello(frame);
        case FrameType.GOAWAY:
          this.draining = true;
          return this.owner.onGoaway(this);
        default:
          return this.#open(frame);
      }
    } catch (err) {
      this.protocolError(MicroError.from(err).detail);
    }
  }

  #open(frame: Frame): void {
    if (this.#state === State.Ready || (this.#state === State.Verifying && this.owner.beforeReady(frame.type))) {
      this.owner.route(this, frame);
      return;
    }
    if (this.#state === State.Hello) throw new MicroError('PROTOCOL_ERROR', 'frame before HELLO');
    this.#hold(frame);
  }

  /** Keeps a frame, in order, until the identity check ends; past the cap, reading pauses. */
  #hold(frame: Frame): void {
    const held = (this.#held ??= []);
    held.push(frame);
    if (held.length >= this.limits.maxHeldFrames && !this.#readPaused) {
      this.#readPaused = true;
      this.conn.pauseReading();
    }
  }

  #onHello(frame: Frame): void {
    if (this.#state !== State.Hello) throw new MicroError('PROTOCOL_ERROR', 'second HELLO');
    const hello = decodeHello(frame.header);
    this.owner.checkHello?.(hello);
    this.remote = hello;
    this.#state = State.Verifying;
    if (this.dialer) {
      this.verifiedId = hello.nodeId;
      this.#becomeReady();
    }
    this.owner.onHello(this, hello);
  }

  /** The acceptor's identity check ended: `nodeId` proven, or undefined (the dialer stays unverified). */
  verified(nodeId: string | undefined): void {
    if (this.#state !== State.Verifying) return;
    this.verifiedId = nodeId;
    this.#becomeReady();
    const held = this.#held;
    this.#held = undefined;
    if (held !== undefined) for (const f of held) if (!this.conn.closed) this.onFrame(f);
    if (this.#readPaused && !this.conn.closed) this.onDrain();
  }

  #becomeReady(): void {
    this.#state = State.Ready;
    this.owner.clock.clearTimeout(this.#timer);
    this.#ready();
  }

  #handshakeTimedOut(): void {
    if (this.#state === State.Ready || this.#state === State.Closed) return;
    const what = this.#state === State.Hello ? 'no HELLO' : 'identity not settled';
    this.protocolError(`${what} within ${this.limits.handshakeTimeoutMs} ms`);
  }

  /** Closes the connection after the remote broke the protocol (logged once). */
  protocolError(detail: string): void {
    if (this.conn.closed) return;
    this.owner.log.warn({ peer: this.name, remote: this.conn.remoteAddress, reason: detail }, 'closing connection after a protocol error');
    this.conn.close(new MicroError('PROTOCOL_ERROR', detail));
  }

  onClose(error: Error | undefined): void {
    this.#state = State.Closed;
    this.owner.clock.clearTimeout(this.#timer);
    this.#held = undefined;
    const gone = new MicroError('NODE_GONE', `connection to ${this.name} closed${error ? `: ${error.message}` : ''}`, { cause: error });
    this.#failed(gone);
    const slots = [...this.#slots.values()];
    this.#slots.clear();
    this.#inbound = 0;
    this.#inboundStreams.clear();
    for (const slot of slots) slot.onGone(gone);
    this.owner.onClosed(this, error);
  }
}
