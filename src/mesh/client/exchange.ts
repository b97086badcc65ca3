import type { Codecs } from '../codec/codecs.ts';
import { MicroError } from '../errors.ts';
import type { Peer, StreamSlot } from '../peers/peer.ts';
import { decodeError, NO_HEADER } from '../protocol.ts';
import { type Frame, FrameType } from '../transport/transport.ts';
import type { AttemptSink, Cancellable, UnaryCall } from './unary-call.ts';

const EMPTY = new Uint8Array(0);

/** One unary attempt on a connection: waits for its RESPONSE or ERROR frame, decodes the answer. */
export class UnaryExchange implements StreamSlot, Cancellable {
  constructor(
    readonly peer: Peer,
    readonly streamId: number,
    readonly call: UnaryCall,
    readonly sink: AttemptSink,
    readonly codecs: Codecs,
    readonly offloadThresholdBytes: number,
  ) {}

  onFrame(frame: Frame): void {
    if (frame.type === FrameType.RESPONSE) {
      this.peer.close(this.streamId);
      this.#decode(frame.body);
    } else if (frame.type === FrameType.ERROR) {
      this.peer.close(this.streamId);
      this.sink.error(decodeError(frame.body));
    }
  }

  #decode(body: Uint8Array): void {
    const call = this.call;
    if (body.length >= this.offloadThresholdBytes) {
      this.codecs.decodeAsync(call.contentType, body, call.options.responseType).then(
        (value) => this.sink.ok(value),
        (err: unknown) => this.sink.error(MicroError.from(err)),
      );
      return;
    }
    let value: unknown;
    try {
      value = call.codec.decode(body, call.options.responseType);
    } catch (err) {
      this.sink.error(MicroError.from(err));
      return;
    }
    this.sink.ok(value);
  }

  onGone(error: MicroError): void {
    this.sink.error(error);
  }

  cancel(): void {
    this.peer.close(this.streamId);
    if (!this.peer.conn.closed) this.peer.send({ type: FrameType.CANCEL, flags: 0, streamId: this.streamId, header: NO_HEADER, body: EMPTY });
  }
}
