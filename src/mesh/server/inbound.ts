import type { Logger } from '../../actors/index.ts';
import type { Codec } from '../codec/codec.ts';
import { MicroError } from '../errors.ts';
import { type Metadata, MetadataKey, mergeMetadata } from '../metadata.ts';
import type { InboundCall, Peer } from '../peer.ts';
import { encodeError, NO_HEADER } from '../protocol.ts';
import type { CallContext, ResolvedEndpoint } from '../service.ts';
import { FrameType } from '../transport/transport.ts';

/**
 * One unary request being served: the message an instance actor receives. It answers exactly once, and its
 * AbortSignal (made only if the handler asks for it) fires at the caller's deadline, on cancel, or on stop.
 */
export class InboundRequest implements InboundCall, CallContext {
  answered = false;
  #metadata: Metadata | undefined;
  #controller: AbortController | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly peer: Peer,
    readonly streamId: number,
    readonly service: string,
    readonly endpointDef: Extract<ResolvedEndpoint, { kind: 'unary' }>,
    public request: unknown,
    readonly codec: Codec,
    readonly rawMetadata: Metadata,
    readonly deadline: number,
    readonly log: Logger,
    readonly onDone: (req: InboundRequest) => void,
  ) {}

  /** The caller's metadata plus the calling node's id (merged on first use). */
  get metadata(): Metadata {
    if (this.#metadata === undefined) {
      const caller = this.peer.remoteNodeId;
      this.#metadata = caller === undefined ? this.rawMetadata : mergeMetadata(this.rawMetadata, { [MetadataKey.CallerNode]: caller });
    }
    return this.#metadata;
  }

  get endpoint(): string {
    return this.endpointDef.name;
  }

  get caller(): string {
    return this.peer.remoteNodeId ?? 'unknown';
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.answered) this.#controller.abort(new MicroError('CANCELLED', 'call already answered'));
      else {
        const left = this.deadline - Date.now();
        if (left <= 0) this.#abort(new MicroError('TIMEOUT', `deadline of ${this.service} ${this.endpoint} passed`));
        else this.#timer = setTimeout(() => this.#abort(new MicroError('TIMEOUT', `deadline of ${this.service} ${this.endpoint} passed`)), left);
      }
    }
    return this.#controller.signal;
  }

  get expired(): boolean {
    return Date.now() >= this.deadline;
  }

  #abort(reason: MicroError): void {
    if (this.#controller !== undefined && !this.#controller.signal.aborted) this.#controller.abort(reason);
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
    let body: Uint8Array;
    try {
      body = this.codec.encode(value, this.endpointDef.responseType);
    } catch (err) {
      this.#send(FrameType.ERROR, encodeError(new MicroError('INTERNAL', `${this.service} ${this.endpoint}: response not encodable: ${MicroError.from(err).detail}`, { id: this.service })));
      return;
    }
    this.#send(FrameType.RESPONSE, body);
  }

  fail(error: MicroError): void {
    if (this.answered) return;
    this.#finish();
    this.#send(FrameType.ERROR, encodeError(error));
  }

  #finish(): void {
    this.answered = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.peer.removeInbound(this.streamId);
    this.onDone(this);
  }

  #send(type: FrameType, body: Uint8Array): void {
    if (this.peer.conn.closed) return;
    try {
      this.peer.conn.send({ type, flags: 0, streamId: this.streamId, header: NO_HEADER, body });
    } catch (err) {
      if (type === FrameType.ERROR) return;
      const e = MicroError.from(err, this.service);
      this.log.warn({ service: this.service, endpoint: this.endpoint, reason: e.detail }, 'response could not be sent');
      this.#send(FrameType.ERROR, encodeError(e));
    }
  }
}
