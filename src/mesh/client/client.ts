import type { ActorSystem, AskEndpoint, Logger } from '../../actors/index.ts';
import { kernelOf } from '../../actors/internal.ts';
import type { Codec } from '../codec/codec.ts';
import type { Codecs } from '../codec/codecs.ts';
import { MicroError } from '../errors.ts';
import { EMPTY_METADATA, type Metadata } from '../metadata.ts';
import type { OutboundCall, Peer } from '../peer.ts';
import { encodeRequest, Flag, RequestHeaderEncoder } from '../protocol.ts';
import type { RegistryNode } from '../registry/registry.ts';
import type { NodeHealth } from '../selector/node-health.ts';
import { createSelector, type Selector, type SelectorStrategy } from '../selector/selector.ts';
import type { AnyEndpoint, RequestOf, ResponseOf, Service } from '../service.ts';
import { StreamChannel } from '../stream-channel.ts';
import { FrameType } from '../transport/transport.ts';
import { ClientStream } from './client-stream.ts';
import type { ServiceResolver } from './resolver.ts';

export interface CallOptions {
  /** Overall deadline of the call, retries included; the server's handler sees it too. @default 10000 */
  timeoutMs?: number;
  metadata?: Metadata;
  /** @default the client's selector */
  selector?: SelectorStrategy | Selector;
  /** What the `hash` selector hashes. */
  key?: string;
  /** Only nodes of this version. */
  version?: string;
  /** @default 'application/json' */
  contentType?: string;
  /** Protobuf message types for application/protobuf. */
  requestType?: string;
  responseType?: string;
  /** Aborting cancels the call (the server's handler is aborted too). */
  signal?: AbortSignal;
  /** Tries on other nodes after a failure that is safe to retry. @default 2 */
  retries?: number;
  /** The caller vouches that the endpoint may run twice; otherwise the service's registration says. */
  idempotent?: boolean;
}

export interface ClientOptions {
  /** @default 10000 */
  timeoutMs?: number;
  /** @default 'random' */
  selector?: SelectorStrategy | Selector;
  /** @default 2 */
  retries?: number;
}

export function defaultClientOptions(): Required<ClientOptions> {
  return { timeoutMs: 10_000, selector: 'random', retries: 2 };
}

/** What the client needs from its node. */
export interface ClientDeps {
  system: ActorSystem;
  codecs: Codecs;
  resolver: ServiceResolver;
  log: Logger;
  /** Response bodies of this size or more are decoded in the codec worker pool. */
  offloadThresholdBytes: number;
  /** The live peer for an address, dialing if needed; rejects with CONNECT_FAILED. */
  peer(address: string): Peer | Promise<Peer>;
  health: Pick<NodeHealth, 'filter' | 'onStart' | 'onFinish'>;
}

/** Failures after which the request surely did not run, so another node may take it. */
function notRun(e: MicroError): boolean {
  return e.reason === 'CONNECT_FAILED' || e.reason === 'DRAINING' || e.reason === 'CIRCUIT_OPEN' || e.reason === 'OVERLOADED';
}

/** The mesh client: calls and streams to services found through the registry. */
export class MeshClient {
  readonly #options: Required<ClientOptions>;
  readonly #selector: Selector;
  readonly #selectors = new Map<string, Selector>();
  readonly headers = new RequestHeaderEncoder();

  constructor(
    readonly deps: ClientDeps,
    options: ClientOptions = {},
  ) {
    this.#options = { ...defaultClientOptions(), ...options };
    this.#selector = createSelector(this.#options.selector);
  }

  /**
   * Calls `endpoint` of `service` on one of its nodes.
   * @example
   * const reply = await node.client.call<{ msg: string }>('greeter', 'Say.Hello', { name: 'Ada' }, { timeoutMs: 2000 });
   */
  call<Res = unknown>(service: string, endpoint: string, request: unknown, options: CallOptions = {}): Promise<Res> {
    const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs;
    const contentType = options.contentType ?? 'application/json';
    let codec: Codec;
    let body: Uint8Array;
    let ep: AskEndpoint;
    try {
      codec = this.deps.codecs.get(contentType);
      body = codec.encode(request, options.requestType);
      ep = kernelOf(this.deps.system).asks.create(`${service} ${endpoint}`, endpoint, { timeoutMs });
    } catch (err) {
      return Promise.reject(MicroError.from(err));
    }
    const call = new UnaryCall(this, ep, service, endpoint, body, codec, contentType, options, timeoutMs);
    ep.onTimeout = call;
    if (options.signal !== undefined) call.watchAbort(options.signal);
    call.next();
    return ep.promise as Promise<Res>;
  }

  /** A typed client for a service definition: request and response types follow its endpoints. */
  typed<E extends Record<string, AnyEndpoint>>(service: Service<E>) {
    return {
      call: <K extends keyof E & string>(endpoint: K, request: RequestOf<E[K]>, options?: CallOptions) =>
        this.call<ResponseOf<E[K]>>(service.name, endpoint, request, options),
      stream: <K extends keyof E & string>(endpoint: K, options?: CallOptions) => this.stream<RequestOf<E[K]>, ResponseOf<E[K]>>(service.name, endpoint, options),
    };
  }

  /**
   * Opens a bidirectional stream: `send` many, `closeSend`, iterate the replies, or `cancel`.
   * @example
   * const s = await node.client.stream<string, string>('greeter', 'Say.Stream');
   * await s.send('a'); s.closeSend();
   * for await (const reply of s) console.log(reply);
   */
  async stream<Req = unknown, Res = unknown>(service: string, endpoint: string, options: CallOptions = {}): Promise<ClientStream<Req, Res>> {
    const contentType = options.contentType ?? 'application/json';
    const codec = this.deps.codecs.get(contentType);
    const nodes = await this.nodes(service, options.version);
    const node = this.selectorFor(options).select(this.deps.health.filter(nodes), { key: options.key, service });
    if (node === undefined) throw new MicroError('UNAVAILABLE', `no available node of ${service}`);
    const peer = await this.deps.peer(node.address);
    const id = peer.nextStreamId();
    const channel = new StreamChannel<Res, Req>(peer.conn, id, { window: 32, codec, inType: options.responseType, outType: options.requestType }, (ch) => peer.removeStream(ch.streamId));
    peer.addStream(channel as StreamChannel<unknown, unknown>);
    const header = encodeRequest({ service, endpoint, contentType, timeoutMs: options.timeoutMs ?? 24 * 3600_000, metadata: options.metadata ?? EMPTY_METADATA });
    peer.send({ type: FrameType.REQUEST, flags: Flag.Stream, streamId: id, header, body: new Uint8Array(0) });
    const stream = new ClientStream<Req, Res>(channel);
    if (options.signal !== undefined) options.signal.addEventListener('abort', () => stream.cancel(), { once: true });
    return stream;
  }

  selectorFor(options: CallOptions): Selector {
    const s = options.selector;
    if (s === undefined) return this.#selector;
    if (typeof s !== 'string') return s;
    let sel = this.#selectors.get(s);
    if (sel === undefined) {
      sel = createSelector(s);
      this.#selectors.set(s, sel);
    }
    return sel;
  }

  nodes(service: string, version: string | undefined): RegistryNode[] | Promise<RegistryNode[]> {
    return this.deps.resolver.cached(service, version) ?? this.deps.resolver.fetch(service, version);
  }

  get retries(): number {
    return this.#options.retries;
  }
}

type Endpoint = AskEndpoint;

/** One unary call across its attempts: pick a node, send, and on a failure that is safe to retry, the next node. */
class UnaryCall implements OutboundCall {
  readonly #tried = new Set<string>();
  #attempts = 0;
  #peer: Peer | undefined;
  #streamId = 0;
  #node: RegistryNode | undefined;
  #lastError: MicroError | undefined;
  #failedNode: string | undefined;
  /** True while the first attempt runs without having waited on anything (no time has passed). */
  #sync = true;

  constructor(
    readonly client: MeshClient,
    readonly ep: Endpoint,
    readonly service: string,
    readonly endpoint: string,
    readonly body: Uint8Array,
    readonly codec: Codec,
    readonly contentType: string,
    readonly options: CallOptions,
    readonly timeoutMs: number,
  ) {}

  next(): void {
    if (this.ep.settled) return;
    let nodes: RegistryNode[] | Promise<RegistryNode[]>;
    try {
      nodes = this.client.nodes(this.service, this.options.version);
    } catch (err) {
      return this.ep.fail(MicroError.from(err));
    }
    if (Array.isArray(nodes)) this.#pick(nodes);
    else {
      this.#sync = false;
      nodes.then((n) => this.#pick(n), (err: unknown) => this.ep.fail(MicroError.from(err)));
    }
  }

  #pick(nodes: RegistryNode[]): void {
    if (this.ep.settled) return;
    if (nodes.length === 0) return this.ep.fail(new MicroError('SERVICE_NOT_FOUND', `service ${this.service}${this.options.version ? ` version ${this.options.version}` : ''} not found`));
    const node = this.client.selectorFor(this.options).select(this.client.deps.health.filter(nodes), { key: this.options.key, exclude: this.#tried, service: this.service });
    if (node === undefined) return this.ep.fail(this.#lastError ?? new MicroError('UNAVAILABLE', `no available node of ${this.service}`));
    this.#tried.add(node.id);
    this.#attempts++;
    this.#node = node;
    let peer: Peer | Promise<Peer>;
    try {
      peer = this.client.deps.peer(node.address);
    } catch (err) {
      return this.#failed(MicroError.from(err));
    }
    if (peer instanceof Promise) {
      this.#sync = false;
      peer.then((p) => this.#send(p), (err: unknown) => this.#failed(MicroError.from(err)));
    } else this.#send(peer);
  }

  #send(peer: Peer): void {
    if (this.ep.settled) return;
    if (peer.draining) return this.#failed(new MicroError('DRAINING', `${peer.remoteNodeId ?? peer.conn.remoteAddress} is stopping`));
    // The time left is measured against the ask's own deadline (the system clock); the first attempt that has
    // waited on nothing still has all of it.
    const left = this.#attempts === 1 && this.#sync ? this.timeoutMs : Math.max(1, Math.floor(this.ep.deadline - this.ep.registry.clock.now()));
    const id = peer.nextStreamId();
    const header = this.client.headers.encode({ service: this.service, endpoint: this.endpoint, contentType: this.contentType, timeoutMs: left, metadata: this.options.metadata ?? EMPTY_METADATA });
    this.#peer = peer;
    this.#streamId = id;
    peer.addOutbound(id, this);
    const nodeId = (this.#node as RegistryNode).id;
    this.client.selectorFor(this.options).onStart?.(nodeId);
    this.client.deps.health.onStart(nodeId);
    try {
      peer.send({ type: FrameType.REQUEST, flags: 0, streamId: id, header, body: this.body });
    } catch (err) {
      peer.removeOutbound(id);
      const e = MicroError.from(err);
      this.#finish(false);
      if (e.reason === 'NODE_GONE') return this.#failed(new MicroError('CONNECT_FAILED', e.detail, { cause: e }));
      return this.ep.fail(e);
    }
  }

  onResponse(body: Uint8Array): void {
    this.#peer = undefined;
    this.#finish(true);
    if (body.length >= this.client.deps.offloadThresholdBytes) {
      this.client.deps.codecs.decodeAsync(this.contentType, body, this.options.responseType).then(
        (value) => this.ep.deliver(value, undefined),
        (err: unknown) => this.ep.fail(MicroError.from(err)),
      );
      return;
    }
    let value: unknown;
    try {
      value = this.codec.decode(body, this.options.responseType);
    } catch (err) {
      this.ep.fail(MicroError.from(err));
      return;
    }
    this.ep.deliver(value, undefined);
  }

  onError(error: MicroError): void {
    this.#peer = undefined;
    this.#finish(error.code < 500);
    if (notRun(error)) return this.#failed(error);
    if (error.retryable) return this.#failed(error, true);
    this.ep.fail(error);
  }

  onGone(error: MicroError): void {
    this.#peer = undefined;
    this.#finish(false);
    this.#failed(error, true);
  }

  /** An attempt failed; try another node if that is safe and time is left. */
  #failed(error: MicroError, maybeRan = false): void {
    if (this.#node !== undefined) {
      this.#failedNode = this.#node.id;
      this.#node = undefined;
    }
    if (this.ep.settled) return;
    if (this.#failedNode !== undefined && (error.reason === 'CONNECT_FAILED' || error.reason === 'NODE_GONE')) this.client.deps.health.onFinish(this.#failedNode, false);
    this.#failedNode = undefined;
    const idempotent = this.options.idempotent ?? this.client.deps.resolver.idempotent(this.service, this.endpoint);
    const safe = maybeRan ? idempotent && error.retryable : notRun(error) || (idempotent && error.retryable);
    const retries = this.options.retries ?? this.client.retries;
    this.#lastError = error;
    if (!safe || this.#attempts > retries) return this.ep.fail(error);
    this.next();
  }

  #finish(ok: boolean): void {
    const node = this.#node;
    if (node === undefined) return;
    this.client.selectorFor(this.options).onFinish?.(node.id, ok);
    if (ok) this.client.deps.health.onFinish(node.id, true);
    else this.#failedNode = node.id;
    this.#node = undefined;
  }

  timedOut(): MicroError {
    this.#cancelRemote();
    return new MicroError('TIMEOUT', `call to ${this.service} ${this.endpoint} timed out after ${this.timeoutMs} ms`, { id: this.service });
  }

  watchAbort(signal: AbortSignal): void {
    const abort = (): void => {
      if (this.ep.settled) return;
      this.#cancelRemote();
      this.ep.fail(new MicroError('CANCELLED', `call to ${this.service} ${this.endpoint} cancelled`));
    };
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    void this.ep.promise.then(
      () => signal.removeEventListener('abort', abort),
      () => signal.removeEventListener('abort', abort),
    );
  }

  #cancelRemote(): void {
    const peer = this.#peer;
    if (peer === undefined) return;
    peer.removeOutbound(this.#streamId);
    this.#finish(false);
    if (!peer.conn.closed) peer.conn.send({ type: FrameType.CANCEL, flags: 0, streamId: this.#streamId, header: new Uint8Array(0), body: new Uint8Array(0) });
  }
}
