import type { Codecs } from '../codec/codecs.ts';
import { MicroError } from '../errors.ts';
import type { Peer, StreamSlot } from '../peers/peer.ts';
import { decodeError, NO_HEADER } from '../protocol.ts';
import { type Frame, FrameType } from '../transport/transport.ts';
import type { AttemptSink, Cancellable, UnaryCall } from './unary-call.ts';

const EMPTY = new Uint8Array(0);

/** What the answer of a unary attempt needs to be decoded and delivered. */
export interface AnswerContext {
  readonly codecs: Codecs;
  readonly offloadThresholdBytes: number;
}

/** Settles a unary attempt from its RESPONSE or ERROR frame: decodes the answer (in the pool when big) for `sink`. */
export function settleFromFrame(frame: Frame, peer: Peer, streamId: number, call: UnaryCall, sink: AttemptSink, ctx: AnswerContext): void {
  if (frame.type === FrameType.ERROR) {
    peer.close(streamId);
    sink.error(decodeError(frame.body));
    return;
  }
  if (frame.type !== FrameType.RESPONSE) return;
  peer.close(streamId);
  const body = frame.body;
  if (body.length >= ctx.offloadThresholdBytes) {
    ctx.codecs.decodeAsync(call.contentType, body, call.options.responseType).then(
      (value) => sink.ok(value),
      (err: unknown) => sink.error(MicroError.from(err)),
    );
    return;
  }
  let value: unknown;
  try {
    value = call.codec.decode(body, call.options.responseType);
  } catch (err) {
    sink.error(MicroError.from(err));
    return;
  }
  sink.ok(value);
}

/** Cancels a unary attempt on its connection: forgets it and tells the server. */
export function cancelOnWire(peer: Peer, streamId: number): void {
  peer.close(streamId);
  if (!peer.conn.closed) peer.send({ type: FrameType.CANCEL, flags: 0, streamId, header: NO_HEADER, body: EMPTY });
}

/**
 * One unary attempt on a connection whose outcome goes to a sink other than the call (an attempt middleware's
 * promise). Without attempt middleware the UnaryCall is its own slot and no exchange is made.
 */
export class UnaryExchange implements StreamSlot, Cancellable {
  constructor(
    readonly peer: Peer,
    readonly streamId: number,
    readonly call: UnaryCall,
    readonly sink: AttemptSink,
    readonly ctx: AnswerContext,
  ) {}

  onFrame(frame: Frame): void {
    settleFromFrame(frame, this.peer, this.streamId, this.call, this.sink, this.ctx);
  }

  onGone(error: MicroError): void {
    this.sink.error(error);
  }

  cancel(): void {
    cancelOnWire(this.peer, this.streamId);
  }
}
