import type { Clock } from '../../actors/clock.ts';
import type { Logger } from '../../actors/index.ts';
import type { Account } from '../auth/auth.ts';
import type { Codec } from '../codec/codec.ts';
import { MicroError } from '../errors.ts';
import { type Metadata, MetadataKey, mergeMetadata } from '../metadata.ts';
import type { HandlerNext } from '../middleware/middleware.ts';
import type { Peer, StreamSlot } from '../peers/peer.ts';
import { encodeError, NO_HEADER } from '../protocol.ts';
import type { CallContext, ResolvedEndpoint } from '../service.ts';
import { type Frame, FrameType, type PeerCertificate } from '../transport/transport.ts';

/** Where a served unary call's answer goes: back over a connection, or straight to an in-process caller. */
export interface ReplySink {
  ok(value: unknown): void;
  error(error: MicroError): void;
}

/** What every served call shares, from the server that accepted it. */
export interface ServerCallScope {
  readonly service: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** Called once when the call is answered or cancelled. */
  done(call: ServerCall): void;
}

/**
 * One unary call being served, whichever way it came (a REQUEST frame, or the in-process fast path): the message an
 * instance actor receives and the handler's CallContext. It answers exactly once; its AbortSignal (made only if the
 * handler asks for it) fires at the caller's deadline, on cancel, or when the node stops.
 */
export class ServerCall implements CallContext, StreamSlot {
  answered = false;
  /** The request value, once decoded. */
  request: unknown = undefined;
  /** The endpoint's handler wrapped in the service's middleware, composed when the service was served. */
  handler: HandlerNext | undefined = undefined;
  /** Links of the server's list of running calls. */
  prevCall: ServerCall | undefined = undefined;
  nextCall: ServerCall | undefined = undefined;
  listed = false;
  /** Set by the auth middleware once the caller's token is verified. */
  account: Account | undefined = undefined;
  #metadata: Metadata | undefined;
  #controller: AbortController | undefined;
  #timer: unknown;

  constructor(
    readonly scope: ServerCallScope,
    readonly endpointDef: Extract<ResolvedEndpoint, { kind: 'unary' }>,
    readonly rawMetadata: Metadata,
    /** When the caller's deadline passes, in the node clock's time (monotonic ms). */
    readonly deadlineAt: number,
    readonly caller: string,
    /** Where the answer goes; a WireCall sends it over its connection instead. */
    readonly sink: ReplySink | undefined,
  ) {}

  get service(): string {
    return this.scope.service;
  }

  get endpoint(): string {
    return this.endpointDef.name;
  }

  get log(): Logger {
    return this.scope.log;
  }

  get certificate(): PeerCertificate | undefined {
    return undefined;
  }

  /** The caller's metadata plus the calling node's id (merged on first use). */
  get metadata(): Metadata {
    this.#metadata ??= mergeMetadata(this.rawMetadata, { [MetadataKey.CallerNode]: this.caller });
    return this.#metadata;
  }

  /** Epoch ms by which the caller wants the answer. */
  get deadline(): number {
    return Date.now() + (this.deadlineAt - this.scope.clock.now());
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.answered) this.#controller.abort(new MicroError('CANCELLED', 'call already answered'));
      else {
        const left = this.deadlineAt - this.scope.clock.now();
        const expire = (): void => this.#abort(new MicroError('TIMEOUT', `deadline of ${this.service} ${this.endpoint} passed`));
        if (left <= 0) expire();
        else this.#timer = this.scope.clock.setTimeout(expire, left);
      }
    }
    return this.#controller.signal;
  }

  get expired(): boolean {
    return this.scope.clock.now() >= this.deadlineAt;
  }

  #abort(reason: MicroError): void {
    if (this.#controller !== undefined && !this.#controller.signal.aborted) this.#controller.abort(reason);
  }

  /** Runs the (wrapped) handler; the instance actor settles the answer from what it returns or throws. */
  invoke(): unknown {
    return (this.handler ?? this.endpointDef.handler)(this.request, this);
  }

  /** The caller cancelled or went away: abort the handler; nothing is sent. */
  cancel(): void {
    if (this.answered) return;
    this.#finish();
    this.#abort(new MicroError('CANCELLED', `call to ${this.service} ${this.endpoint} cancelled by the caller`));
  }

  respond(value: unknown): void {
    if (this.answered) return;
    this.#finish();
    this.deliver(value);
  }

  /** Hands the answer over (in process: to the caller's sink). */
  protected deliver(value: unknown): void {
    this.sink?.ok(value);
  }

  protected deliverError(error: MicroError): void {
    this.sink?.error(error);
  }

  fail(error: MicroError): void {
    if (this.answered) return;
    this.#finish();
    this.deliverError(error);
  }

  #finish(): void {
    this.answered = true;
    if (this.#timer !== undefined) this.scope.clock.clearTimeout(this.#timer);
    this.scope.done(this);
  }

  // ---- StreamSlot: frames from the caller's connection ----------------------------------------------

  onFrame(frame: Frame): void {
    if (frame.type === FrameType.CANCEL) this.cancel();
  }

  onGone(): void {
    this.cancel();
  }
}

/** A call that came over a connection: its answer is encoded with the call's codec and sent back on its stream. */
export class WireCall extends ServerCall {
  constructor(
    scope: ServerCallScope,
    endpointDef: Extract<ResolvedEndpoint, { kind: 'unary' }>,
    rawMetadata: Metadata,
    deadlineAt: number,
    readonly peer: Peer,
    readonly streamId: number,
    readonly codec: Codec,
  ) {
    super(scope, endpointDef, rawMetadata, deadlineAt, peer.caller, undefined);
  }

  override get certificate(): PeerCertificate | undefined {
    return this.peer.conn.peerCertificate;
  }

  protected override deliver(value: unknown): void {
    this.peer.close(this.streamId);
    let body: Uint8Array;
    try {
      body = this.codec.encode(value, this.endpointDef.responseType);
    } catch (err) {
      this.#send(FrameType.ERROR, encodeError(new MicroError('INTERNAL', `${this.service}: response not encodable: ${MicroError.from(err).detail}`, { id: this.service })));
      return;
    }
    this.#send(FrameType.RESPONSE, body);
  }

  protected override deliverError(error: MicroError): void {
    this.peer.close(this.streamId);
    this.#send(FrameType.ERROR, encodeError(error));
  }

  #send(type: FrameType, body: Uint8Array): void {
    if (this.peer.conn.closed) return;
    try {
      this.peer.send({ type, flags: 0, streamId: this.streamId, header: NO_HEADER, body });
    } catch (err) {
      if (type === FrameType.ERROR) return;
      const e = MicroError.from(err, this.service);
      this.log.warn({ service: this.service, reason: e.detail }, 'response could not be sent');
      this.#send(FrameType.ERROR, encodeError(e));
    }
  }
}
