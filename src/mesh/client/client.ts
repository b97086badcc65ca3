import type { Clock } from '../../actors/clock.ts';
import type { AskRegistry } from '../../actors/ask.ts';
import type { Logger } from '../../actors/index.ts';
import type { Codec } from '../codec/codec.ts';
import type { Codecs } from '../codec/codecs.ts';
import { MicroError } from '../errors.ts';
import { compose, hasHook, originalCall, type Attempt, type AttemptNext, type CallNext, type Middleware, type StreamNext } from '../middleware/middleware.ts';
import type { Peer } from '../peers/peer.ts';
import { RequestHeaderEncoder } from '../protocol.ts';
import { FrameType } from '../transport/transport.ts';
import type { RegistryNode } from '../registry/registry.ts';
import type { NodeHealth } from '../selector/node-health.ts';
import { createSelector, type Selector } from '../selector/selector.ts';
import type { ReplySink, ServerCall } from '../server/server-call.ts';
import type { AnyEndpoint, RequestOf, ResponseOf, Service } from '../service.ts';
import type { ClientStream } from './client-stream.ts';
import { AttemptRun } from './attempt-run.ts';
import { UnaryExchange } from './exchange.ts';
import { type CallOptions, type ClientOptions, type ClientSettings, checkTimeout, defaultClientOptions } from './options.ts';
import type { ServiceResolver } from './resolver.ts';
import { openStream, openStreamOn, StreamCall } from './stream-open.ts';
import { type AttemptSink, UnaryCall, type UnaryCallHost } from './unary-call.ts';

/** The in-process server, for calls to services this node serves. */
export interface LocalServer {
  has(service: string): boolean;
  callLocal(service: string, endpoint: string, request: unknown, metadata: CallOptions['metadata'] & object, deadlineAt: number, caller: string, sink: ReplySink): ServerCall | undefined;
}

/** What the client needs from its node. */
export interface ClientDeps {
  nodeId: string;
  asks: AskRegistry;
  clock: Clock;
  codecs: Codecs;
  resolver: ServiceResolver;
  log: Logger;
  /** Response bodies of this size or more are decoded in the codec worker pool. */
  offloadThresholdBytes: number;
  /** The ready peer dialed at an address, which must answer as `expectedId`; rejects with CONNECT_FAILED. */
  peer(address: string, expectedId: string): Peer | Promise<Peer>;
  health: Pick<NodeHealth, 'filter' | 'onStart' | 'onFinish'>;
  local: LocalServer;
  middleware: readonly Middleware[];
}

/** Failures that say something about the node (it is unreachable, gone, slow or full), not about the request. */
function countsAgainstNode(e: MicroError): boolean {
  return e.code === 503 || e.reason === 'TIMEOUT';
}

/**
 * The mesh client: calls and streams to services found through the registry. One outbound path for both: a retry
 * loop that picks nodes around one per-attempt function, wrapped by the node's middleware (composed once here).
 */
export class MeshClient implements UnaryCallHost {
  readonly #given: ClientOptions;
  #options: Required<ClientOptions>;
  #selector: Selector;
  /** Per-service settings from `configure`, copied into each call's options (empty: nothing is copied). */
  #services = new Map<string, ClientOptions>();
  readonly #selectors = new Map<string, Selector>();
  readonly headers = new RequestHeaderEncoder();
  readonly #call: CallNext;
  readonly #stream: StreamNext;
  /** The attempt chain; `#attempt` is set only when some middleware wraps attempts. */
  readonly #attempts: AttemptNext;
  readonly #attempt: AttemptNext | undefined;
  readonly #start: CallNext = (call) => originalCall<UnaryCall>(call).start();
  readonly asks: AskRegistry;
  readonly localNodeId: string;
  readonly answers: { readonly codecs: Codecs; readonly offloadThresholdBytes: number };

  constructor(
    readonly deps: ClientDeps,
    options: ClientOptions = {},
  ) {
    this.#given = options;
    this.#options = { ...defaultClientOptions(), ...options };
    this.#selector = createSelector(this.#options.selector);
    this.asks = deps.asks;
    this.localNodeId = deps.nodeId;
    this.answers = { codecs: deps.codecs, offloadThresholdBytes: deps.offloadThresholdBytes };
    this.#call = compose(deps.middleware, 'call', this.#start);
    this.#stream = compose(deps.middleware, 'stream', (call) => openStream(this, originalCall<StreamCall>(call)));
    this.#attempts = compose(deps.middleware, 'attempt', (a) => {
      if (a.call.kind === 'stream') return openStreamOn(this, a.node, originalCall<StreamCall>(a.call));
      if (a instanceof AttemptRun) return a.start((sink) => this.runAttempt(a, sink));
      return new Promise((resolve, reject) => this.runAttempt(a, { ok: resolve, error: reject }));
    });
    this.#attempt = hasHook(deps.middleware, 'attempt') ? this.#attempts : undefined;
  }

  /**
   * Calls `endpoint` of `service` on one of its nodes.
   * @example
   * const reply = await node.client.call<{ msg: string }>('greeter', 'Say.Hello', { name: 'Ada' }, { timeoutMs: 2000 });
   */
  call<Res = unknown>(service: string, endpoint: string, request: unknown, options: CallOptions = {}): Promise<Res> {
    if (this.#services.size > 0) options = this.#forService(service, options);
    const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs;
    const bad = checkTimeout(timeoutMs);
    if (bad !== undefined) return Promise.reject(bad);
    const contentType = options.contentType ?? 'application/json';
    let codec: Codec;
    try {
      codec = this.deps.codecs.get(contentType);
    } catch (err) {
      return Promise.reject(MicroError.from(err));
    }
    const call = new UnaryCall(this, service, endpoint, request, options, timeoutMs, codec, contentType);
    return this.#call(call) as Promise<Res>;
  }

  /** A typed client for a service definition: request and response types follow its endpoints. */
  typed<E extends Record<string, AnyEndpoint>>(service: Service<E>) {
    return {
      call: <K extends keyof E & string>(endpoint: K, request: RequestOf<E[K]>, options?: CallOptions) => this.call<ResponseOf<E[K]>>(service.name, endpoint, request, options),
      stream: <K extends keyof E & string>(endpoint: K, options?: CallOptions) => this.stream<RequestOf<E[K]>, ResponseOf<E[K]>>(service.name, endpoint, options),
    };
  }

  /**
   * Opens a bidirectional stream: `send` many, `closeSend`, iterate the replies, or `cancel`. Opening retries on
   * another node when a node cannot be reached; the stream has a deadline like a call (`timeoutMs`).
   * @example
   * const s = await node.client.stream<string, string>('greeter', 'Say.Stream');
   * await s.send('a'); s.closeSend();
   * for await (const reply of s) console.log(reply);
   */
  async stream<Req = unknown, Res = unknown>(service: string, endpoint: string, options: CallOptions = {}): Promise<ClientStream<Req, Res>> {
    if (this.#services.size > 0) options = this.#forService(service, options);
    const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs;
    const bad = checkTimeout(timeoutMs);
    if (bad !== undefined) throw bad;
    if (this.deps.resolver.endpointKind(service, endpoint) === 'unary') {
      throw new MicroError('BAD_REQUEST', `${service} ${endpoint} is unary: call it, do not open a stream`, { id: service });
    }
    const contentType = options.contentType ?? 'application/json';
    const codec = this.deps.codecs.get(contentType);
    const call = new StreamCall(service, endpoint, options, timeoutMs, codec, contentType, Date.now() + timeoutMs);
    return (await this.#stream(call)) as ClientStream<Req, Res>;
  }

  /**
   * Replaces the live resilience settings (deadline, retries, selector), for every service and per service, without
   * a restart: calls started after it use them, calls in flight keep theirs. A setting left out falls back to the
   * options the client was made with. The node applies its config's `client` key through this.
   * @example
   * node.client.configure({ retries: 1, services: { greeter: { timeoutMs: 500, selector: 'round-robin' } } });
   */
  configure(settings: ClientSettings): void {
    const { services = {}, ...all } = settings;
    const merged = { ...defaultClientOptions(), ...this.#given, ...all };
    const bad = checkTimeout(merged.timeoutMs);
    if (bad !== undefined) throw bad;
    if (merged.selector !== this.#options.selector) this.#selector = createSelector(merged.selector);
    this.#options = merged;
    this.#services = new Map(Object.entries(services));
  }

  /** `options` with the service's live settings under it. */
  #forService(service: string, options: CallOptions): CallOptions {
    const live = this.#services.get(service);
    return live === undefined ? options : { ...live, ...options };
  }

  // ---- the outbound path -----------------------------------------------------------------------------

  /** One attempt, through the attempt middleware when there is some. */
  attempt(attempt: Attempt, sink: AttemptSink): void {
    const chain = this.#attempt;
    if (chain === undefined) return this.runAttempt(attempt, sink);
    const run = new AttemptRun(attempt.call, attempt.node, attempt.number, attempt.local, sink);
    const outcome = chain(run);
    // The chain handed back the innermost promise itself, still pending: its outcome goes straight to the sink.
    if (outcome === run.promise && !run.settled) {
      run.direct = true;
      return;
    }
    outcome.then(
      (v) => sink.ok(v),
      (err: unknown) => sink.error(MicroError.from(err)),
    );
  }

  /** One attempt to open a stream on a node, through the attempt middleware. */
  streamAttempt(attempt: Attempt): Promise<ClientStream<unknown, unknown>> {
    return this.#attempts(attempt) as Promise<ClientStream<unknown, unknown>>;
  }

  /** The per-attempt function every unary attempt runs: in process, or over the connection to the node. */
  runAttempt(attempt: Attempt, sink: AttemptSink): void {
    const call = originalCall<UnaryCall>(attempt.call);
    if (attempt.local) {
      const served = this.deps.local.callLocal(call.service, call.endpoint, call.request, call.metadata, call.ep.deadline, this.localNodeId, sink);
      if (served !== undefined && call.current === undefined) call.current = served;
      return;
    }
    let peer: Peer | Promise<Peer>;
    try {
      peer = this.deps.peer(attempt.node.address, attempt.node.id);
    } catch (err) {
      return sink.error(MicroError.from(err));
    }
    if (peer instanceof Promise) {
      peer.then(
        (p) => this.#send(p, call, sink),
        (err: unknown) => sink.error(MicroError.from(err)),
      );
    } else this.#send(peer, call, sink);
  }

  #send(peer: Peer, call: UnaryCall, sink: AttemptSink): void {
    if (call.ep.settled) return;
    if (peer.draining) return sink.error(new MicroError('DRAINING', `${peer.name} is stopping`));
    let body: Uint8Array;
    try {
      body = call.body();
    } catch (err) {
      return sink.error(MicroError.from(err));
    }
    const id = peer.nextStreamId();
    const header = this.headers.encode({ service: call.service, endpoint: call.endpoint, contentType: call.contentType, timeoutMs: call.timeLeft(), metadata: call.metadata });
    if (sink === call) {
      call.peer = peer;
      call.streamId = id;
      peer.open(id, call);
      call.current = call;
    } else if (sink instanceof AttemptRun) {
      sink.onWire(peer, id, call, this.answers);
      peer.open(id, sink);
      call.current = sink;
    } else {
      const exchange = new UnaryExchange(peer, id, call, sink, this.answers);
      peer.open(id, exchange);
      call.current = exchange;
    }
    try {
      peer.send({ type: FrameType.REQUEST, flags: 0, streamId: id, header, body });
    } catch (err) {
      peer.close(id);
      const e = MicroError.from(err);
      sink.error(e.reason === 'NODE_GONE' ? new MicroError('CONNECT_FAILED', e.detail, { cause: e }) : e);
    }
  }

  // ---- UnaryCallHost ---------------------------------------------------------------------------------

  get retries(): number {
    return this.#options.retries;
  }

  now(): number {
    return this.deps.clock.now();
  }

  nodes(service: string, version: string | undefined): RegistryNode[] | Promise<RegistryNode[]> {
    return this.deps.resolver.cached(service, version) ?? this.deps.resolver.fetch(service, version);
  }

  pick(call: { service: string; options: CallOptions }, nodes: RegistryNode[], tried: ReadonlySet<string>): RegistryNode | undefined {
    const selector = this.selectorFor(call.options);
    const node = selector.select(this.deps.health.filter(nodes), { key: call.options.key, exclude: tried, service: call.service });
    if (node !== undefined) {
      selector.onStart?.(node.id);
      this.deps.health.onStart(node.id);
    }
    return node;
  }

  finished(call: { options: CallOptions }, node: RegistryNode, error: MicroError | undefined): void {
    this.selectorFor(call.options).onFinish?.(node.id, error === undefined || error.code < 500);
    if (node.id === this.localNodeId) return; // this node is never unreachable to itself
    if (error === undefined) this.deps.health.onFinish(node.id, true);
    else if (countsAgainstNode(error)) this.deps.health.onFinish(node.id, false);
  }

  servesLocally(service: string): boolean {
    return this.deps.local.has(service);
  }

  idempotent(service: string, endpoint: string): boolean {
    return this.deps.resolver.idempotent(service, endpoint);
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
}
