import type { Clock } from '../../actors/clock.ts';
import type { ActorRef, ActorSystem, Logger, SendResult } from '../../actors/index.ts';
import { createSupervisor, type SupervisorMessage } from '../../supervisor/index.ts';
import type { Codec } from '../codec/codec.ts';
import type { Codecs } from '../codec/codecs.ts';
import { MicroError } from '../errors.ts';
import type { Metadata } from '../metadata.ts';
import { compose, type HandlerNext, type Middleware, type ServeStreamNext } from '../middleware/middleware.ts';
import type { FrameRouter } from '../peers/frame-router.ts';
import type { Peer } from '../peers/peer.ts';
import { Flag, type RequestHeader, RequestHeaderDecoder } from '../protocol.ts';
import type { ResolvedEndpoint, Service } from '../service.ts';
import { type Frame, FrameType } from '../transport/transport.ts';
import { CallList } from './call-list.ts';
import { InstanceSlot, ServiceInstance } from './instance.ts';
import { type ReplySink, ServerCall, type ServerCallScope, WireCall } from './server-call.ts';
import { defaultServeOptions, type ServeOptions } from './serve-options.ts';
import { startServerStream } from './stream.ts';
import { StuckWatchdog } from './watchdog.ts';

/** A service this node serves: its supervisor, instances, and handlers composed with middleware. */
interface Served extends ServerCallScope {
  readonly def: Service;
  readonly supervisor: ActorRef<SupervisorMessage>;
  readonly slots: InstanceSlot[];
  readonly handlers: Map<string, HandlerNext>;
  readonly streams: Map<string, ServeStreamNext>;
  readonly window: number;
  readonly watchdog: StuckWatchdog;
  next: number;
}

export interface ServerDeps {
  system: ActorSystem;
  /** Sends to an instance as `tell` does, but an idle one handles a call read off a connection at once (the kernel's `tellNow`). */
  tellNow(ref: ActorRef<ServerCall>, call: ServerCall): SendResult;
  /** Where each service's supervisor is spawned (a supervisor that restarts it, never escalating past it). */
  spawnService(name: string, behavior: ReturnType<typeof createSupervisor>): Promise<ActorRef<SupervisorMessage>>;
  codecs: Codecs;
  clock: Clock;
  log: Logger;
  router: FrameRouter;
  middleware: readonly Middleware[];
  offloadThresholdBytes: number;
}

/** Per connection: its request header decoder, and what its last unary route resolved to. */
interface ConnectionRequests {
  readonly decoder: RequestHeaderDecoder;
  found: [Served, ResolvedEndpoint] | undefined;
  /** `decoder.routes` and the server's generation when `found` was looked up. */
  route: number;
  generation: number;
}

/**
 * Serves services: REQUEST frames (and in-process calls) become ServerCalls delivered to a service's instance actors;
 * stream requests become stream actors. Handlers are wrapped once, at serve time, in the node's and the service's
 * middleware. A drain stops new calls and waits for those in flight.
 */
export class MeshServer {
  readonly #services = new Map<string, Served>();
  readonly #requests = new WeakMap<Peer, ConnectionRequests>();
  /** Bumped when a service is served or unserved: a connection's remembered route is looked up again. */
  #generation = 0;
  readonly #calls = new CallList();
  #streams = 0;
  #idle: (() => void) | undefined;
  #offRequest: () => void;
  draining = false;

  constructor(readonly deps: ServerDeps) {
    this.#offRequest = deps.router.on(FrameType.REQUEST, (peer, frame) => this.#onRequest(peer, frame));
  }

  get inFlight(): number {
    return this.#calls.size + this.#streams;
  }

  services(): Service[] {
    return [...this.#services.values()].map((s) => s.def);
  }

  /** Whether a served endpoint was declared public (callable without a token when auth is on). */
  isPublic(service: string, endpoint: string): boolean {
    return this.#services.get(service)?.def.endpoints.get(endpoint)?.public === true;
  }

  has(name: string): boolean {
    return this.#services.has(name);
  }

  async serve(service: Service, options: ServeOptions = {}): Promise<void> {
    if (this.#services.has(service.name)) throw new MicroError('CONFLICT', `service ${service.name} is already served by this node`);
    const o = { ...defaultServeOptions(), ...options };
    const clock = this.deps.clock;
    const slots = Array.from({ length: Math.max(1, o.instances) }, (_, i) => new InstanceSlot(`instance-${i + 1}`, () => clock.now()));
    const supervisor = await this.deps.spawnService(
      service.name,
      createSupervisor({
        maxRestarts: o.maxRestarts,
        withinMs: o.withinMs,
        children: slots.map((slot) => ({ id: slot.id, shutdownMs: o.instanceShutdownMs, start: { kind: 'factory', create: () => new ServiceInstance(service.name, slot) } })),
      }),
    );
    await supervisor.ask({ type: 'inspect' });
    const middleware = [...this.deps.middleware, ...(o.middleware ?? [])];
    const handlers = new Map<string, HandlerNext>();
    const streams = new Map<string, ServeStreamNext>();
    for (const e of service.endpoints.values()) {
      if (e.kind === 'unary') handlers.set(e.name, compose(middleware, 'handler', e.handler as HandlerNext));
      else streams.set(e.name, compose(middleware, 'serveStream', e.handler as ServeStreamNext));
    }
    const served: Served = {
      def: service,
      service: service.name,
      clock,
      log: this.deps.log,
      done: (call) => this.#callDone(call),
      supervisor,
      slots,
      handlers,
      streams,
      window: o.streamWindow,
      next: 0,
      watchdog: new StuckWatchdog({ service: service.name, slots, supervisor, clock, log: this.deps.log, ...o.stuck }),
    };
    served.watchdog.start();
    this.#services.set(service.name, served);
    this.#generation++;
  }

  async unserve(name: string): Promise<void> {
    const served = this.#services.get(name);
    if (served === undefined) return;
    this.#services.delete(name);
    this.#generation++;
    served.watchdog.stop();
    await this.deps.system.stop(served.supervisor);
  }

  // ---- calls over the wire ---------------------------------------------------------------------------

  #onRequest(peer: Peer, frame: Frame): void {
    const id = frame.streamId;
    let conn = this.#requests.get(peer);
    if (conn === undefined) {
      conn = { decoder: new RequestHeaderDecoder(), found: undefined, route: -1, generation: -1 };
      this.#requests.set(peer, conn);
    }
    let header: RequestHeader;
    try {
      header = conn.decoder.decode(frame.header);
    } catch (err) {
      return peer.protocolError(MicroError.from(err).detail);
    }
    const stream = (frame.flags & Flag.Stream) !== 0;
    let found = conn.found;
    // A connection calling one unary endpoint over and over resolves it once (the common case); anything else, each time.
    if (stream || this.draining || found === undefined || conn.route !== conn.decoder.routes || conn.generation !== this.#generation) {
      const looked = this.#lookup(header.service, header.endpoint, stream);
      if (looked instanceof MicroError) return peer.sendError(id, looked);
      found = looked;
      if (!stream) {
        conn.found = found;
        conn.route = conn.decoder.routes;
        conn.generation = this.#generation;
      }
    }
    const [served, endpoint] = found;
    let codec: Codec;
    try {
      codec = this.deps.codecs.get(header.contentType);
    } catch (err) {
      return peer.sendError(id, MicroError.from(err));
    }
    if (endpoint.kind === 'stream') return this.#startStream(served, endpoint, peer, id, codec, header.metadata, Date.now() + header.timeoutMs);
    const call = new WireCall(served, endpoint, header.metadata, this.deps.clock.now() + header.timeoutMs, peer, id, codec);
    if (!peer.accept(id, call, false)) return;
    const body = frame.body;
    if (body.length >= this.deps.offloadThresholdBytes) {
      this.#calls.add(call);
      this.deps.codecs.decodeAsync(header.contentType, body, endpoint.requestType).then(
        (request) => this.#dispatch(served, call, request, true),
        (err: unknown) => call.fail(MicroError.from(err)),
      );
      return;
    }
    let request: unknown;
    try {
      request = codec.decode(body, endpoint.requestType);
    } catch (err) {
      return call.fail(MicroError.from(err));
    }
    this.#calls.add(call);
    this.#dispatch(served, call, request, true);
  }

  /** The service and endpoint a call names, or the error that answers it (unknown, or unary/stream mismatch). */
  #lookup(service: string, endpoint: string, stream: boolean): [Served, ResolvedEndpoint] | MicroError {
    if (this.draining) return new MicroError('DRAINING', `node is stopping; ${service} not accepted`);
    const served = this.#services.get(service);
    if (served === undefined) return new MicroError('SERVICE_NOT_FOUND', `service ${service} is not served here`);
    const e = served.def.endpoints.get(endpoint);
    if (e === undefined) return new MicroError('ENDPOINT_NOT_FOUND', `service ${service} has no endpoint ${endpoint}`, { id: service });
    if (stream && e.kind !== 'stream') return new MicroError('BAD_REQUEST', `${service} ${endpoint} is unary: call it, do not open a stream`, { id: service });
    if (!stream && e.kind === 'stream') return new MicroError('BAD_REQUEST', `${service} ${endpoint} is a stream: open a stream, do not call it`, { id: service });
    return [served, e];
  }

  #startStream(served: Served, endpoint: Extract<ResolvedEndpoint, { kind: 'stream' }>, peer: Peer, id: number, codec: Codec, metadata: Metadata, deadline: number): void {
    this.#streams++;
    startServerStream({
      scope: served,
      peer,
      streamId: id,
      endpoint,
      handler: served.streams.get(endpoint.name) as ServeStreamNext,
      codec,
      metadata,
      deadline,
      window: served.window,
      supervisor: served.supervisor,
      done: () => this.#streamDone(),
    });
  }

  // ---- in-process calls ------------------------------------------------------------------------------

  /**
   * The in-process fast path: a unary call from this node to a service it serves, without transport or codec. The
   * request value is handed to the handler as it is (not copied); deadlines, middleware and errors are the same.
   * `deadlineAt` is in the node clock's time.
   */
  callLocal(service: string, endpoint: string, request: unknown, metadata: Metadata, deadlineAt: number, caller: string, sink: ReplySink): ServerCall | undefined {
    const found = this.#lookup(service, endpoint, false);
    if (found instanceof MicroError) {
      sink.error(found);
      return undefined;
    }
    const call = new ServerCall(found[0], found[1] as Extract<ResolvedEndpoint, { kind: 'unary' }>, metadata, deadlineAt, caller, sink);
    this.#calls.add(call);
    this.#dispatch(found[0], call, request, false);
    return call;
  }

  /** Hands the call to an instance, round robin; `fromWire`: it was just read off a connection, so an idle instance may run it at once. */
  #dispatch(served: Served, call: ServerCall, request: unknown, fromWire: boolean): void {
    call.request = request;
    call.handler = served.handlers.get(call.endpoint);
    const slots = served.slots;
    const n = slots.length;
    for (let tries = 0; tries < n; tries++) {
      const slot = slots[served.next++ % n] as InstanceSlot;
      const ref = slot.ref;
      if (ref !== undefined && (fromWire ? this.deps.tellNow(ref, call) : ref.tell(call)) === true) return;
    }
    call.fail(new MicroError('OVERLOADED', `${served.service}: every instance's mailbox is full`, { id: served.service }));
  }

  #callDone(call: ServerCall): void {
    this.#calls.delete(call);
    if (this.inFlight === 0) this.#idle?.();
  }

  #streamDone(): void {
    this.#streams--;
    if (this.inFlight === 0) this.#idle?.();
  }

  /** Stops accepting calls and waits for those in flight, up to `timeoutMs`. Resolves with how many were left. */
  async drain(timeoutMs: number): Promise<number> {
    this.draining = true;
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = this.deps.clock.setTimeout(resolve, timeoutMs);
        this.#idle = () => {
          this.deps.clock.clearTimeout(timer);
          resolve();
        };
      });
    }
    const left = this.inFlight;
    for (const call of this.#calls.toArray()) call.fail(new MicroError('UNAVAILABLE', `node stopped before ${call.service} ${call.endpoint} finished`));
    return left;
  }

  async close(): Promise<void> {
    this.#offRequest();
    for (const name of [...this.#services.keys()]) await this.unserve(name);
  }
}
