import type { AskEndpoint } from '../../actors/index.ts';
import type { Codec } from '../codec/codec.ts';
import { MicroError } from '../errors.ts';
import { EMPTY_METADATA, type Metadata } from '../metadata.ts';
import { type Attempt, CALL_SELF, type OutboundCall } from '../middleware/middleware.ts';
import type { Peer, StreamSlot } from '../peers/peer.ts';
import type { RegistryNode } from '../registry/registry.ts';
import type { Frame } from '../transport/transport.ts';
import { type AnswerContext, cancelOnWire, settleFromFrame } from './exchange.ts';
import { type CallOptions, notRun } from './options.ts';

const NONE: ReadonlySet<string> = new Set();

/** Where one attempt's outcome goes. */
export interface AttemptSink {
  ok(value: unknown): void;
  error(error: MicroError): void;
}

/** Something in flight that a timeout or an abort can cancel. */
export interface Cancellable {
  cancel(): void;
}

/** What a unary call needs from its client. */
export interface UnaryCallHost {
  readonly localNodeId: string;
  readonly retries: number;
  readonly asks: { create(target: string, messageType: string, options: { timeoutMs: number; onTimeout: { timedOut(): unknown } }): AskEndpoint };
  now(): number;
  nodes(service: string, version: string | undefined): RegistryNode[] | Promise<RegistryNode[]>;
  /** Picks a node not yet tried, or undefined; counts it as started for selectors and node health. */
  pick(call: UnaryCall, nodes: RegistryNode[], tried: ReadonlySet<string>): RegistryNode | undefined;
  /** Counts an attempt on `node` as finished. */
  finished(call: UnaryCall, node: RegistryNode, error: MicroError | undefined): void;
  /** Whether the service serves this endpoint locally (the in-process fast path). */
  servesLocally(service: string): boolean;
  idempotent(service: string, endpoint: string): boolean;
  /** Runs one attempt (through the attempt middleware, if any). */
  attempt(attempt: Attempt, sink: AttemptSink): void;
  /** How answers are decoded. */
  readonly answers: AnswerContext;
}

/**
 * One unary call across its attempts: pick a node, try it, and on a failure that is safe to retry, the next node,
 * all within one deadline (an ask endpoint of the kernel's registry: one timer list per timeout, not a timer per
 * call). It is also its own first Attempt when no attempt middleware needs a separate object.
 */
export class UnaryCall implements OutboundCall, Attempt, AttemptSink, StreamSlot, Cancellable {
  readonly kind = 'unary' as const;
  readonly [CALL_SELF]: UnaryCall = this;
  metadata: Metadata;
  ep!: AskEndpoint;
  /** The exchange of the attempt in flight, for a timeout or an abort to cancel. */
  current: Cancellable | undefined = undefined;
  node!: RegistryNode;
  number = 0;
  local = false;
  /** The connection and stream of the attempt in flight, when this call is its own slot on it. */
  peer: Peer | undefined = undefined;
  streamId = 0;
  /** Nodes tried so far: the first one's id, and a set once there is a second. */
  #first: string | undefined;
  #tried: Set<string> | undefined;
  #body: Uint8Array | undefined;
  #lastError: MicroError | undefined;
  /** An attempt is running and has not been counted as finished. */
  #open = false;
  /** True while the first attempt runs without having waited on anything (no time has passed). */
  #sync = true;

  constructor(
    readonly host: UnaryCallHost,
    readonly service: string,
    readonly endpoint: string,
    readonly request: unknown,
    readonly options: CallOptions,
    readonly timeoutMs: number,
    readonly codec: Codec,
    readonly contentType: string,
  ) {
    this.metadata = options.metadata ?? EMPTY_METADATA;
  }

  get call(): OutboundCall {
    return this;
  }

  /** Epoch ms by which the call must be answered. */
  get deadline(): number {
    return this.ep === undefined ? Date.now() + this.timeoutMs : Date.now() + (this.ep.deadline - this.host.now());
  }

  /** Starts the first attempt; the promise settles with the call. */
  start(): Promise<unknown> {
    this.ep = this.host.asks.create(`${this.service} ${this.endpoint}`, this.endpoint, { timeoutMs: this.timeoutMs, onTimeout: this });
    if (this.options.signal !== undefined) this.#watchAbort(this.options.signal);
    this.next();
    return this.ep.promise;
  }

  /** The request encoded with the call's codec, once (remote attempts only); throws a 400 if it cannot be. */
  body(): Uint8Array {
    if (this.#body === undefined) {
      try {
        this.#body = this.codec.encode(this.request, this.options.requestType);
      } catch (err) {
        const e = MicroError.from(err);
        throw e.code === 400 ? e : new MicroError('BAD_REQUEST', `request to ${this.service} ${this.endpoint} is not encodable as ${this.contentType}: ${e.detail}`, { cause: err });
      }
    }
    return this.#body;
  }

  /** Time left for the server, in ms. */
  timeLeft(): number {
    if (this.number === 1 && this.#sync) return this.timeoutMs;
    return Math.max(1, Math.floor(this.ep.deadline - this.host.now()));
  }

  next(): void {
    if (this.ep.settled) return;
    let nodes: RegistryNode[] | Promise<RegistryNode[]>;
    try {
      nodes = this.host.nodes(this.service, this.options.version);
    } catch (err) {
      return this.ep.fail(MicroError.from(err));
    }
    if (Array.isArray(nodes)) this.#pick(nodes);
    else {
      this.#sync = false;
      nodes.then(
        (n) => this.#pick(n),
        (err: unknown) => this.ep.fail(MicroError.from(err)),
      );
    }
  }

  #pick(nodes: RegistryNode[]): void {
    if (this.ep.settled) return;
    if (nodes.length === 0) {
      return this.ep.fail(new MicroError('SERVICE_NOT_FOUND', `service ${this.service}${this.options.version ? ` version ${this.options.version}` : ''} not found`));
    }
    if (this.#first !== undefined && this.#tried === undefined) this.#tried = new Set([this.#first]);
    const node = this.host.pick(this, nodes, this.#tried ?? NONE);
    if (node === undefined) return this.ep.fail(this.#lastError ?? new MicroError('UNAVAILABLE', `no available node of ${this.service}`));
    if (this.#first === undefined) this.#first = node.id;
    else this.#tried?.add(node.id);
    this.number++;
    this.node = node;
    this.local = node.id === this.host.localNodeId && this.host.servesLocally(this.service);
    if (this.number > 1) this.#sync = false;
    this.#open = true;
    this.host.attempt(this, this);
  }

  #finish(error: MicroError | undefined): void {
    this.current = undefined;
    if (!this.#open) return;
    this.#open = false;
    this.host.finished(this, this.node, error);
  }

  ok(value: unknown): void {
    this.#finish(undefined);
    this.ep.deliver(value, undefined);
  }

  error(error: MicroError): void {
    this.#finish(error);
    if (this.ep.settled) return;
    const idempotent = this.options.idempotent ?? this.host.idempotent(this.service, this.endpoint);
    const safe = notRun(error) || (idempotent && error.retryable);
    this.#lastError = error;
    if (!safe || this.number > (this.options.retries ?? this.host.retries)) return this.ep.fail(error);
    this.#sync = false;
    this.next();
  }

  // ---- StreamSlot: the attempt in flight on a connection, when no attempt middleware needs an exchange ----

  onFrame(frame: Frame): void {
    settleFromFrame(frame, this.peer as Peer, this.streamId, this, this, this.host.answers);
  }

  onGone(error: MicroError): void {
    this.error(error);
  }

  /** Cancels the attempt on its connection (the call itself goes on or ends as its caller decides). */
  cancel(): void {
    if (this.peer !== undefined) cancelOnWire(this.peer, this.streamId);
  }

  /** Asked by the ask registry when the deadline passes: cancel the attempt in flight, and count it against its node. */
  timedOut(): MicroError {
    const error = new MicroError('TIMEOUT', `call to ${this.service} ${this.endpoint} timed out after ${this.timeoutMs} ms`, { id: this.service });
    this.#cancelCurrent(error);
    return error;
  }

  #cancelCurrent(error: MicroError): void {
    const current = this.current;
    this.#finish(error);
    current?.cancel();
  }

  #watchAbort(signal: AbortSignal): void {
    const abort = (): void => {
      if (this.ep.settled) return;
      const error = new MicroError('CANCELLED', `call to ${this.service} ${this.endpoint} cancelled`);
      this.#cancelCurrent(error);
      this.ep.fail(error);
    };
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    const off = (): void => signal.removeEventListener('abort', abort);
    this.ep.promise.then(off, off);
  }
}
