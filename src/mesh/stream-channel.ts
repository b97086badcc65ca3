import { Deque } from '../actors/deque.ts';
import type { Codec } from './codec/codec.ts';
import { MicroError } from './errors.ts';
import type { Peer, StreamSlot } from './peers/peer.ts';
import { decodeCredit, decodeError, encodeCredit, encodeError, NO_HEADER } from './protocol.ts';
import { type Frame, FrameType } from './transport/transport.ts';

export interface StreamChannelOptions {
  /** Messages the receiver buffers at most; the sender may have this many in flight before it must wait. @default 32 */
  window: number;
  codec: Codec;
  /** Protobuf type names, when the codec needs them. */
  inType?: string;
  outType?: string;
}

/**
 * One stream on a connection, both directions, with credit-based flow control: each side starts with `window`
 * credits to spend on the other; the receiver returns credits as its consumer takes messages, so a slow consumer
 * holds the sender in `send()` and neither side buffers more than the window.
 */
export class StreamChannel<In, Out> implements AsyncIterable<In>, StreamSlot {
  readonly #buffer = new Deque<In>(8);
  readonly #creditWaiters: Array<() => void> = [];
  #readWaiter: (() => void) | undefined;
  #credits: number;
  #consumed = 0;
  #remoteDone = false;
  #localDone = false;
  #error: MicroError | undefined;
  #closed = false;
  #closeListeners: Array<(error: MicroError | undefined) => void> | undefined;
  /** Messages buffered here awaiting the consumer (for tests and metrics). */
  peakBuffered = 0;

  constructor(
    readonly peer: Peer,
    readonly streamId: number,
    readonly options: StreamChannelOptions,
    readonly onClosed: (channel: StreamChannel<In, Out>) => void,
  ) {
    this.#credits = options.window;
  }

  get receiveDone(): boolean {
    return this.#remoteDone;
  }

  get credits(): number {
    return this.#credits;
  }

  get buffered(): number {
    return this.#buffer.length;
  }

  // ---- from the connection -------------------------------------------------------------------------

  onFrame(frame: Frame): void {
    switch (frame.type) {
      case FrameType.STREAM_DATA:
        return this.onData(frame.body);
      case FrameType.STREAM_END:
        return this.onEnd();
      case FrameType.CREDIT:
        return this.onCredit(decodeCredit(frame.body));
      case FrameType.ERROR:
        return this.fail(decodeError(frame.body));
      case FrameType.CANCEL:
        return this.fail(new MicroError('CANCELLED', `stream ${this.streamId} cancelled by the peer`));
    }
  }

  onGone(error: MicroError): void {
    this.fail(error);
  }

  onData(body: Uint8Array): void {
    if (this.#closed || this.#remoteDone) return;
    if (this.#buffer.length >= this.options.window) {
      this.fail(new MicroError('PROTOCOL_ERROR', `stream ${this.streamId}: peer sent past its credit`), true);
      return;
    }
    let value: In;
    try {
      value = this.options.codec.decode(body, this.options.inType) as In;
    } catch (err) {
      this.fail(MicroError.from(err), true);
      return;
    }
    this.#buffer.push(value, undefined);
    if (this.#buffer.length > this.peakBuffered) this.peakBuffered = this.#buffer.length;
    this.#wakeReader();
  }

  onEnd(): void {
    this.#remoteDone = true;
    this.#wakeReader();
    this.#maybeClosed();
  }

  onCredit(n: number): void {
    this.#credits += n;
    while (this.#credits > 0 && this.#creditWaiters.length > 0) (this.#creditWaiters.shift() as () => void)();
  }

  /** Ends the stream with an error; `tellPeer` sends it as an ERROR frame. */
  fail(error: MicroError, tellPeer = false): void {
    if (this.#closed) return;
    this.#error = error;
    if (tellPeer && !this.peer.conn.closed) this.#send(FrameType.ERROR, encodeError(error));
    this.#close();
  }

  // ---- the local user ------------------------------------------------------------------------------

  async send(message: Out): Promise<void> {
    if (this.#localDone || this.#closed) throw this.#error ?? new MicroError('BAD_REQUEST', `stream ${this.streamId} is closed for sending`);
    while (this.#credits <= 0) {
      await new Promise<void>((resolve) => this.#creditWaiters.push(resolve));
      if (this.#closed) throw this.#error ?? new MicroError('CANCELLED', `stream ${this.streamId} closed`);
    }
    this.#credits--;
    this.#send(FrameType.STREAM_DATA, this.options.codec.encode(message, this.options.outType));
  }

  /** No more messages from this side. */
  closeSend(): void {
    if (this.#localDone || this.#closed) return;
    this.#localDone = true;
    this.#send(FrameType.STREAM_END, new Uint8Array(0));
    this.#maybeClosed();
  }

  /** Ends both directions now, telling the peer with a CANCEL frame. */
  cancel(reason = 'cancelled'): void {
    if (this.#closed) return;
    if (!this.peer.conn.closed) this.#send(FrameType.CANCEL, new Uint8Array(0));
    this.#error = new MicroError('CANCELLED', `stream ${this.streamId} ${reason}`);
    this.#close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<In> {
    for (;;) {
      if (this.#buffer.length > 0) {
        const value = this.#buffer.shift() as In;
        this.#returnCredit();
        yield value;
        continue;
      }
      if (this.#error !== undefined && this.#error.reason !== 'CANCELLED') throw this.#error;
      if (this.#remoteDone || this.#closed) {
        this.#maybeClosed();
        return;
      }
      await new Promise<void>((resolve) => {
        this.#readWaiter = resolve;
      });
    }
  }

  #returnCredit(): void {
    this.#consumed++;
    if (this.#consumed >= Math.max(1, this.options.window >> 1) && !this.#remoteDone && !this.#closed) {
      this.#send(FrameType.CREDIT, encodeCredit(this.#consumed));
      this.#consumed = 0;
    }
  }

  #wakeReader(): void {
    const w = this.#readWaiter;
    this.#readWaiter = undefined;
    w?.();
  }

  #send(type: FrameType, body: Uint8Array): void {
    if (this.peer.conn.closed) {
      this.fail(new MicroError('NODE_GONE', `connection to ${this.peer.name} closed`));
      return;
    }
    this.peer.send({ type, flags: 0, streamId: this.streamId, header: NO_HEADER, body });
  }

  #maybeClosed(): void {
    if (this.#localDone && this.#remoteDone && this.#buffer.length === 0) this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.peer.close(this.streamId);
    this.#wakeReader();
    for (const w of this.#creditWaiters.splice(0)) w();
    this.onClosed(this);
    for (const l of this.#closeListeners?.splice(0) ?? []) l(this.#error);
  }

  /** Calls `listener` once when the stream has closed both ways (at once if it has), with its error if it failed. */
  whenClosed(listener: (error: MicroError | undefined) => void): void {
    if (this.#closed) listener(this.#error);
    else (this.#closeListeners ??= []).push(listener);
  }

  get closed(): boolean {
    return this.#closed;
  }

  get error(): MicroError | undefined {
    return this.#error;
  }
}
