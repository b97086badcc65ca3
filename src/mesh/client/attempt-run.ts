import type { MicroError } from '../errors.ts';
import type { Attempt, OutboundCall } from '../middleware/middleware.ts';
import type { Peer, StreamSlot } from '../peers/peer.ts';
import type { RegistryNode } from '../registry/registry.ts';
import type { Frame } from '../transport/transport.ts';
import { type AnswerContext, cancelOnWire, settleFromFrame } from './exchange.ts';
import type { AttemptSink, Cancellable, UnaryCall } from './unary-call.ts';

const IGNORE = (): void => {};

/**
 * One unary attempt handed to the attempt middleware: a snapshot of the call's attempt (the call itself moves on to
 * its next node on a retry), and where the outcome goes. When the chain hands back the very promise the innermost
 * attempt made (middleware that only looks, or sets metadata, and returns `next(attempt)`), the outcome goes straight
 * to the sink as it arrives, without another hop through that promise; the promise still settles, for anything the
 * middleware hung on it. Over a connection it is also the attempt's slot there (no separate exchange object).
 */
export class AttemptRun implements Attempt, AttemptSink, StreamSlot, Cancellable {
  /** The innermost attempt's promise, once the chain reached it. */
  promise: Promise<unknown> | undefined = undefined;
  /** The chain returned `promise` itself: outcomes go straight to the sink. */
  direct = false;
  settled = false;
  #resolve: ((value: unknown) => void) | undefined;
  #reject: ((reason: unknown) => void) | undefined;
  // The connection, stream and answer decoding, while the attempt runs over a connection.
  #peer: Peer | undefined = undefined;
  #streamId = 0;
  #wireCall: UnaryCall | undefined = undefined;
  #answers: AnswerContext | undefined = undefined;

  constructor(
    readonly call: OutboundCall,
    readonly node: RegistryNode,
    readonly number: number,
    readonly local: boolean,
    readonly sink: AttemptSink,
  ) {}

  /**
   * The innermost attempt's promise; `run` starts the attempt with the sink to settle. A second run of the same
   * attempt (middleware that tries again by itself) settles a promise of its own, which only that middleware sees.
   */
  start(run: (sink: AttemptSink) => void): Promise<unknown> {
    if (this.promise !== undefined) return new Promise((resolve, reject) => run({ ok: resolve, error: reject }));
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    run(this);
    return this.promise;
  }

  // The promise settles first, so that what middleware hung on it runs before the caller resumes, as it would had
  // the outcome gone through the promise.
  ok(value: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.#resolve?.(value);
    if (this.direct) this.sink.ok(value);
  }

  error(error: MicroError): void {
    if (this.settled) return;
    this.settled = true;
    // Nothing may be waiting on the promise when the outcome goes straight to the sink: not an unhandled rejection.
    if (this.direct) this.promise?.catch(IGNORE);
    this.#reject?.(error);
    if (this.direct) this.sink.error(error);
  }

  /** Makes this run the attempt's slot on `peer`'s stream `streamId`. */
  onWire(peer: Peer, streamId: number, call: UnaryCall, answers: AnswerContext): void {
    this.#peer = peer;
    this.#streamId = streamId;
    this.#wireCall = call;
    this.#answers = answers;
  }

  onFrame(frame: Frame): void {
    if (this.#peer !== undefined) settleFromFrame(frame, this.#peer, this.#streamId, this.#wireCall as UnaryCall, this, this.#answers as AnswerContext);
  }

  onGone(error: MicroError): void {
    this.error(error);
  }

  cancel(): void {
    if (this.#peer !== undefined) cancelOnWire(this.#peer, this.#streamId);
  }
}
