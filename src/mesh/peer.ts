import type { Logger } from '../actors/index.ts';
import { MicroError } from './errors.ts';
import { decodeCredit, decodeError, decodeHello, encodeHello, NO_HEADER, RequestHeaderDecoder, type HelloHeader } from './protocol.ts';
import type { StreamChannel } from './stream-channel.ts';
import { type Connection, type ConnectionHandler, type Frame, FrameType } from './transport/transport.ts';

/** A call this node made, waiting for its answer on this connection. */
export interface OutboundCall {
  onResponse(body: Uint8Array, header: Uint8Array): void;
  onError(error: MicroError): void;
  /** The connection closed before an answer came. */
  onGone(error: MicroError): void;
}

/** A call this node serves, until it answers. */
export interface InboundCall {
  cancel(): void;
}

/** What a peer hands to its node. */
export interface PeerEvents {
  onHello(peer: Peer, hello: HelloHeader): void;
  onRequest(peer: Peer, frame: Frame): void;
  onMessage(peer: Peer, frame: Frame): void;
  onGoaway(peer: Peer): void;
  onClosed(peer: Peer, error: Error | undefined): void;
}

/**
 * The mesh's state for one connection: which calls and streams are open on it in either direction, and where
 * each frame goes. The dialing side numbers its streams odd, the accepting side even, so both can open streams
 * on the one shared connection without clashing.
 */
export class Peer implements ConnectionHandler {
  remoteNodeId: string | undefined;
  remoteAddress: string | undefined;
  draining = false;
  /** Request headers from this peer, decoded with the last route reused. */
  readonly requests = new RequestHeaderDecoder();
  readonly #outbound = new Map<number, OutboundCall>();
  readonly #inbound = new Map<number, InboundCall>();
  readonly #streams = new Map<number, StreamChannel<unknown, unknown>>();
  #nextId: number;
  readonly hello: Promise<void>;
  #helloDone!: () => void;
  #helloFailed!: (err: Error) => void;

  constructor(
    readonly conn: Connection,
    readonly dialer: boolean,
    readonly events: PeerEvents,
    readonly log: Logger,
    local: HelloHeader,
  ) {
    this.#nextId = dialer ? 1 : 2;
    this.hello = new Promise((resolve, reject) => {
      this.#helloDone = resolve;
      this.#helloFailed = reject;
    });
    this.hello.catch(() => {});
    conn.setHandler(this);
    conn.send({ type: FrameType.HELLO, flags: 0, streamId: 0, header: encodeHello(local), body: NO_HEADER });
  }

  nextStreamId(): number {
    const id = this.#nextId;
    this.#nextId += 2;
    if (this.#nextId > 0xffff_fff0) this.#nextId = this.dialer ? 1 : 2;
    return id;
  }

  #mine(id: number): boolean {
    return (id & 1) === (this.dialer ? 1 : 0);
  }

  addOutbound(id: number, call: OutboundCall): void {
    this.#outbound.set(id, call);
  }

  removeOutbound(id: number): void {
    this.#outbound.delete(id);
  }

  addInbound(id: number, call: InboundCall): void {
    this.#inbound.set(id, call);
  }

  removeInbound(id: number): void {
    this.#inbound.delete(id);
  }

  addStream(channel: StreamChannel<unknown, unknown>): void {
    this.#streams.set(channel.streamId, channel);
  }

  removeStream(id: number): void {
    this.#streams.delete(id);
  }

  get openCalls(): number {
    return this.#outbound.size + this.#inbound.size + this.#streams.size;
  }

  get inboundCalls(): number {
    return this.#inbound.size;
  }

  /** The calls this peer is being served, for a drain that must end them. */
  inbound(): IterableIterator<InboundCall> {
    return this.#inbound.values();
  }

  onFrame(frame: Frame): void {
    const id = frame.streamId;
    try {
      switch (frame.type) {
        case FrameType.HELLO: {
          const hello = decodeHello(frame.header);
          this.remoteNodeId = hello.nodeId;
          this.remoteAddress = hello.address;
          this.events.onHello(this, hello);
          this.#helloDone();
          return;
        }
        case FrameType.REQUEST:
          if (this.#mine(id)) throw new MicroError('PROTOCOL_ERROR', `request on stream ${id} of this side's numbering`);
          return this.events.onRequest(this, frame);
        case FrameType.RESPONSE: {
          const call = this.#outbound.get(id);
          if (call !== undefined) {
            this.#outbound.delete(id);
            call.onResponse(frame.body, frame.header);
          }
          return;
        }
        case FrameType.ERROR: {
          const call = this.#outbound.get(id);
          if (call !== undefined) {
            this.#outbound.delete(id);
            call.onError(decodeError(frame.body));
          } else this.#streams.get(id)?.fail(decodeError(frame.body));
          return;
        }
        case FrameType.STREAM_DATA:
          return this.#streams.get(id)?.onData(frame.body);
        case FrameType.STREAM_END:
          return this.#streams.get(id)?.onEnd();
        case FrameType.CREDIT:
          return this.#streams.get(id)?.onCredit(decodeCredit(frame.body));
        case FrameType.CANCEL:
          this.#inbound.get(id)?.cancel();
          this.#streams.get(id)?.fail(new MicroError('CANCELLED', `stream ${id} cancelled by the peer`));
          return;
        case FrameType.MESSAGE:
          return this.events.onMessage(this, frame);
        case FrameType.GOAWAY:
          this.draining = true;
          return this.events.onGoaway(this);
        default:
          return;
      }
    } catch (err) {
      const error = MicroError.from(err);
      this.log.warn({ remote: this.conn.remoteAddress, reason: error.detail }, 'closing connection after a protocol error');
      this.conn.close(error);
    }
  }

  onClose(error: Error | undefined): void {
    const gone = new MicroError('NODE_GONE', `connection to ${this.remoteNodeId ?? this.conn.remoteAddress} closed${error ? `: ${error.message}` : ''}`, { cause: error });
    this.#helloFailed(gone);
    for (const call of [...this.#outbound.values()]) call.onGone(gone);
    this.#outbound.clear();
    for (const call of [...this.#inbound.values()]) call.cancel();
    this.#inbound.clear();
    for (const s of [...this.#streams.values()]) s.fail(gone);
    this.#streams.clear();
    this.events.onClosed(this, error);
  }

  send(frame: Frame): void {
    if (this.conn.closed) throw new MicroError('NODE_GONE', `connection to ${this.remoteNodeId ?? this.conn.remoteAddress} closed`);
    this.conn.send(frame);
  }
}
