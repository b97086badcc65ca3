import type { ActorRef, ActorSystem, Logger } from '../../actors/index.ts';
import { createSupervisor, type SupervisorMessage } from '../../supervisor/index.ts';
import type { Codec } from '../codec/codec.ts';
import type { Codecs } from '../codec/codecs.ts';
import { MicroError } from '../errors.ts';
import { MetadataKey, mergeMetadata } from '../metadata.ts';
import type { InboundCall, Peer } from '../peer.ts';
import { encodeError, Flag, NO_HEADER, type RequestHeader } from '../protocol.ts';
import type { ResolvedEndpoint, Service } from '../service.ts';
import { type Frame, FrameType } from '../transport/transport.ts';
import { InboundRequest } from './inbound.ts';
import { ServiceInstance } from './instance.ts';
import { startServerStream } from './stream.ts';

export interface ServeOptions {
  /** Instance actors, each handling one request at a time. @default 1 */
  instances?: number;
  /** Restarts of failed instances allowed per window before the service's supervisor gives up. @default 100 in 1000 ms */
  maxRestarts?: number;
  withinMs?: number;
  /** Credits per stream direction. @default 32 */
  streamWindow?: number;
}

interface Served {
  service: Service;
  supervisor: ActorRef<SupervisorMessage>;
  instances: Array<ActorRef<InboundRequest>>;
  paths: string[];
  next: number;
  window: number;
}

export interface ServerDeps {
  system: ActorSystem;
  codecs: Codecs;
  log: Logger;
  offloadThresholdBytes: number;
  /** Every call being served, on every connection (for a drain that must end them). */
  inbound(): Iterable<InboundCall>;
}

/** Routes REQUEST frames to the instance actors of served services and drains them on stop. */
export class MeshServer {
  readonly #services = new Map<string, Served>();
  #active = 0;
  readonly #onDone = (_req: InboundRequest): void => {
    this.#active--;
    if (this.inFlight === 0) this.#idle?.();
  };
  #idle: (() => void) | undefined;
  #streams = 0;
  draining = false;

  constructor(readonly deps: ServerDeps) {}

  get inFlight(): number {
    return this.#active + this.#streams;
  }

  services(): Service[] {
    return [...this.#services.values()].map((s) => s.service);
  }

  async serve(service: Service, options: ServeOptions = {}): Promise<void> {
    if (this.#services.has(service.name)) throw new MicroError('CONFLICT', `service ${service.name} is already served by this node`);
    const count = Math.max(1, options.instances ?? 1);
    const ids = Array.from({ length: count }, (_, i) => `instance-${i + 1}`);
    const supervisor = this.deps.system.spawn(
      createSupervisor({
        maxRestarts: options.maxRestarts ?? 100,
        withinMs: options.withinMs ?? 1000,
        children: ids.map((id) => ({ id, start: { kind: 'factory', create: () => new ServiceInstance(service.name) } })),
      }),
      { name: `service-${service.name}` },
    );
    const info = await supervisor.ask({ type: 'inspect' });
    const paths = info.children.map((c) => c.address.split('#')[0] as string);
    this.#services.set(service.name, {
      service,
      supervisor,
      paths,
      instances: paths.map((p) => this.deps.system.ref<InboundRequest>(p)),
      next: 0,
      window: options.streamWindow ?? 32,
    });
  }

  async unserve(name: string): Promise<void> {
    const served = this.#services.get(name);
    if (served === undefined) return;
    this.#services.delete(name);
    await this.deps.system.stop(served.supervisor);
  }

  onRequest(peer: Peer, frame: Frame): void {
    const id = frame.streamId;
    let header: RequestHeader;
    try {
      header = peer.requests.decode(frame.header);
    } catch (err) {
      return reject(peer, id, MicroError.from(err));
    }
    if (this.draining) return reject(peer, id, new MicroError('DRAINING', `node is stopping; ${header.service} not accepted`));
    const served = this.#services.get(header.service);
    if (served === undefined) return reject(peer, id, new MicroError('SERVICE_NOT_FOUND', `service ${header.service} is not served here`));
    const endpoint = served.service.endpoints.get(header.endpoint);
    if (endpoint === undefined) {
      return reject(peer, id, new MicroError('ENDPOINT_NOT_FOUND', `service ${header.service} has no endpoint ${header.endpoint}`, { id: header.service }));
    }
    let codec: Codec;
    try {
      codec = this.deps.codecs.get(header.contentType);
    } catch (err) {
      return reject(peer, id, MicroError.from(err));
    }
    const metadata = header.metadata;
    const deadline = Date.now() + header.timeoutMs;
    if (endpoint.kind === 'stream' || (frame.flags & Flag.Stream) !== 0) {
      if (endpoint.kind !== 'stream') return reject(peer, id, new MicroError('BAD_REQUEST', `${header.service} ${header.endpoint} is unary, not a stream`));
      this.#streams++;
      const streamMetadata = peer.remoteNodeId === undefined ? metadata : mergeMetadata(metadata, { [MetadataKey.CallerNode]: peer.remoteNodeId });
      startServerStream({ peer, streamId: id, service: header.service, endpoint, codec, metadata: streamMetadata, deadline, window: served.window, log: this.deps.log, supervisor: served.supervisor, done: () => this.#streamDone() });
      return;
    }
    const req = new InboundRequest(peer, id, header.service, endpoint, undefined, codec, metadata, deadline, this.deps.log, this.#onDone);
    const body = frame.body;
    if (body.length >= this.deps.offloadThresholdBytes) {
      this.deps.codecs.decodeAsync(header.contentType, body, endpoint.requestType).then(
        (request) => this.#dispatch(served, req, request),
        (err: unknown) => reject(peer, id, MicroError.from(err)),
      );
      return;
    }
    let request: unknown;
    try {
      request = codec.decode(body, endpoint.requestType);
    } catch (err) {
      return reject(peer, id, MicroError.from(err));
    }
    this.#dispatch(served, req, request);
  }

  #dispatch(served: Served, req: InboundRequest, request: unknown): void {
    req.request = request;
    this.#active++;
    req.peer.addInbound(req.streamId, req);
    this.#deliver(served, req);
  }

  #deliver(served: Served, req: InboundRequest): void {
    const n = served.instances.length;
    for (let tries = 0; tries < n; tries++) {
      const i = served.next++ % n;
      if (served.instances[i]?.tell(req) !== false) return;
      served.instances[i] = this.deps.system.ref<InboundRequest>(served.paths[i] as string);
      if (served.instances[i]?.tell(req) !== false) return;
    }
    req.fail(new MicroError('OVERLOADED', `${served.service.name}: no instance accepted the request`, { id: served.service.name }));
  }

  #streamDone(): void {
    this.#streams--;
    if (this.inFlight === 0) this.#idle?.();
  }

  /** Stops accepting requests and waits for those in flight, up to `timeoutMs`. Resolves with how many were left. */
  async drain(timeoutMs: number): Promise<number> {
    this.draining = true;
    if (this.inFlight === 0) return 0;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#idle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    const left = this.inFlight;
    for (const call of this.deps.inbound()) {
      if (call instanceof InboundRequest) call.fail(new MicroError('UNAVAILABLE', `node stopped before ${call.service} ${call.endpoint} finished`));
    }
    return left;
  }
}

function reject(peer: Peer, streamId: number, error: MicroError): void {
  if (peer.conn.closed) return;
  peer.conn.send({ type: FrameType.ERROR, flags: 0, streamId, header: NO_HEADER, body: encodeError(error) });
}

export type { ResolvedEndpoint };
