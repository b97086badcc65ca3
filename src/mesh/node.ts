import type { ActorRef, ActorSystem, Logger, SerializedRef } from '../actors/index.ts';
import { kernelOf } from '../actors/internal.ts';
import { createActorSystem, type CreateActorSystemOptions } from '../supervisor/index.ts';
import { MeshClient, type ClientOptions } from './client/client.ts';
import { ServiceResolver } from './client/resolver.ts';
import { type Codecs, type CodecsOptions, createCodecs, defaultCodecsOptions } from './codec/codecs.ts';
import { MicroError } from './errors.ts';
import { type NodeOptions, resolveNodeOptions } from './node-options.ts';
import { type InboundCall, Peer, type PeerEvents } from './peer.ts';
import { NO_HEADER, PROTOCOL_VERSION, type HelloHeader } from './protocol.ts';
import type { Registry, Service as RegisteredService } from './registry/registry.ts';
import { RemoteActors } from './remote.ts';
import { createNodeHealth } from './selector/node-health.ts';
import { MeshServer, type ServeOptions } from './server/server.ts';
import type { Service } from './service.ts';
import { createPeerPool, type PeerPool } from './transport/peer-pool.ts';
import { type Connection, FrameType, type Listener, type Transport } from './transport/transport.ts';

/** The service every node registers, so actor addresses of a node id can be dialed. */
export const NODE_SERVICE = 'micromesh.node';

/** One process's membership in the mesh. */
export interface MeshNode {
  readonly id: string;
  /** The address peers dial (the advertised one). */
  readonly address: string;
  readonly system: ActorSystem;
  readonly client: MeshClient;
  readonly registry: Registry;
  readonly transport: Transport;
  readonly codecs: Codecs;
  readonly log: Logger;
  /** Spawns the service's instances as supervised actors and registers it. */
  serve(service: Service, options?: ServeOptions): Promise<void>;
  /** A ref to an actor on any node: `mesh://<node>/user/x`. */
  ref<M = unknown>(address: string | SerializedRef): ActorRef<M>;
  /** Deregisters, refuses new requests, lets calls in flight finish (up to `drainTimeoutMs`), then closes. */
  stop(): Promise<void>;
}

interface Owned {
  system: boolean;
  codecs: boolean;
  registry: boolean;
  transport: boolean;
}

class Node implements MeshNode, PeerEvents {
  readonly client: MeshClient;
  readonly #server: MeshServer;
  readonly #pool: PeerPool;
  readonly #peers = new WeakMap<Connection, Peer>();
  readonly #peersByNode = new Map<string, Peer>();
  readonly #peersByAddress = new Map<string, Peer>();
  /** Every open connection's peer, accepted or dialed. */
  readonly #live = new Set<Peer>();
  readonly #remote: RemoteActors;
  readonly #resolver: ServiceResolver;
  readonly #registrations: RegisteredService[] = [];
  #listener: Listener | undefined;
  #address = '';
  #stopping: Promise<void> | undefined;

  constructor(
    readonly id: string,
    readonly system: ActorSystem,
    readonly registry: Registry,
    readonly transport: Transport,
    readonly codecs: Codecs,
    readonly log: Logger,
    readonly options: ReturnType<typeof resolveNodeOptions>,
    readonly owned: Owned,
  ) {
    this.#remote = new RemoteActors(system, (nodeId) => this.#peerForNode(nodeId), log);
    kernelOf(system).addResolver(this.#remote.resolver);
    this.#resolver = new ServiceResolver(registry, log);
    this.#server = new MeshServer({ system, codecs, log, offloadThresholdBytes: options.offloadThresholdBytes, inbound: () => this.#inboundCalls() });
    this.#pool = createPeerPool(transport, {
      logger: log,
      dialTimeoutMs: options.dialTimeoutMs,
      onConnection: (address, conn) => this.#peers.get(conn) ?? this.#attach(conn, true, address),
    });
    const health = createNodeHealth();
    this.client = new MeshClient(
      { system, codecs, resolver: this.#resolver, log, health, offloadThresholdBytes: options.offloadThresholdBytes, peer: (address) => this.#peer(address) },
      options.client,
    );
  }

  get address(): string {
    return this.#address;
  }

  async start(): Promise<void> {
    this.#listener = await this.transport.listen(this.options.address, (conn) => this.#attach(conn, false, undefined));
    this.#address = this.options.advertise ?? this.#listener.address;
    this.#resolver.start();
    await this.#register({ name: NODE_SERVICE, version: PROTOCOL_VERSION.toString(), metadata: {}, endpoints: [], nodes: [] });
  }

  #hello(): HelloHeader {
    return { nodeId: this.id, address: this.#address, version: PROTOCOL_VERSION };
  }

  #attach(conn: Connection, dialer: boolean, address: string | undefined): Peer {
    const peer = new Peer(conn, dialer, this, this.log, this.#hello());
    this.#peers.set(conn, peer);
    this.#live.add(peer);
    if (address !== undefined) this.#peersByAddress.set(address, peer);
    return peer;
  }

  *#inboundCalls(): Iterable<InboundCall> {
    for (const peer of this.#live) yield* peer.inbound();
  }

  #peer(address: string): Peer | Promise<Peer> {
    const known = this.#peersByAddress.get(address);
    if (known !== undefined && !known.conn.closed) return known;
    return this.#pool.get(address).then((conn) => {
      const peer = this.#peers.get(conn) ?? this.#attach(conn, true, address);
      this.#peersByAddress.set(address, peer);
      return peer;
    });
  }

  async #peerForNode(nodeId: string): Promise<Peer> {
    const known = this.#peersByNode.get(nodeId);
    if (known !== undefined && !known.conn.closed) return known;
    const services = await this.registry.getService(NODE_SERVICE).catch(() => []);
    const node = services.flatMap((s) => s.nodes).find((n) => n.id === nodeId);
    if (node === undefined) throw new MicroError('ACTOR_NOT_FOUND', `node ${nodeId} is not in the registry`);
    const peer = await this.#peer(node.address);
    await peer.hello;
    return peer;
  }

  // ---- peer events -----------------------------------------------------------------------------------

  onHello(peer: Peer, hello: HelloHeader): void {
    this.#peersByNode.set(hello.nodeId, peer);
    if (!peer.dialer && hello.address !== '' && !this.#peersByAddress.has(hello.address)) {
      if (this.#pool.adopt(hello.address, peer.conn)) this.#peersByAddress.set(hello.address, peer);
    }
  }

  onRequest(peer: Peer, frame: Parameters<PeerEvents['onRequest']>[1]): void {
    this.#server.onRequest(peer, frame);
  }

  onMessage(peer: Peer, frame: Parameters<PeerEvents['onMessage']>[1]): void {
    this.#remote.onMessage(peer, frame);
  }

  onGoaway(peer: Peer): void {
    if (peer.remoteAddress !== undefined && this.#peersByAddress.get(peer.remoteAddress) === peer) this.#peersByAddress.delete(peer.remoteAddress);
  }

  onClosed(peer: Peer, error: Error | undefined): void {
    this.#live.delete(peer);
    for (const [address, p] of this.#peersByAddress) if (p === peer) this.#peersByAddress.delete(address);
    const nodeId = peer.remoteNodeId;
    if (nodeId !== undefined && this.#peersByNode.get(nodeId) === peer) {
      this.#peersByNode.delete(nodeId);
      this.#remote.nodeGone(nodeId);
    }
    if (error !== undefined && this.#stopping === undefined) this.log.info({ peer: nodeId ?? peer.conn.remoteAddress, reason: error.message }, 'connection closed');
  }

  // ---- services --------------------------------------------------------------------------------------

  async serve(service: Service, options: ServeOptions = {}): Promise<void> {
    if (this.#stopping !== undefined) throw new MicroError('UNAVAILABLE', 'node is stopping');
    await this.#server.serve(service, options);
    await this.#register({
      name: service.name,
      version: service.version,
      metadata: { ...service.metadata },
      endpoints: [...service.endpoints.values()].map((e) => ({
        name: e.name,
        request: e.request,
        response: e.response,
        metadata: { stream: String(e.kind === 'stream'), idempotent: String(e.kind === 'unary' && e.idempotent) },
      })),
      nodes: [],
    });
  }

  async #register(service: RegisteredService): Promise<void> {
    const full = { ...service, nodes: [{ id: this.id, address: this.#address, metadata: { transport: this.transport.name, protocol: `micromesh/${PROTOCOL_VERSION}` } }] };
    await this.registry.register(full, { ttlMs: this.options.registerTtlMs });
    this.#registrations.push(full);
  }

  ref<M = unknown>(address: string | SerializedRef): ActorRef<M> {
    return this.system.ref<M>(address);
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    for (const r of this.#registrations.splice(0).reverse()) await this.registry.deregister(r).catch(() => {});
    this.#server.draining = true;
    for (const address of [...this.#peersByAddress.keys()]) {
      const peer = this.#peersByAddress.get(address);
      if (peer !== undefined && !peer.conn.closed) peer.conn.send({ type: FrameType.GOAWAY, flags: 0, streamId: 0, header: NO_HEADER, body: NO_HEADER });
    }
    const left = await this.#server.drain(this.options.drainTimeoutMs);
    if (left > 0) this.log.warn({ left }, 'calls still running at the drain deadline were failed');
    this.#resolver.stop();
    await this.#listener?.close();
    this.#pool.close();
    if (this.owned.transport) await this.transport.close();
    if (this.owned.system) await this.system.terminate();
    else for (const s of this.#server.services()) await this.#server.unserve(s.name);
    if (this.owned.registry) await this.registry.close();
    if (this.owned.codecs) await this.codecs.close();
  }
}

/**
 * Starts a node: its actor system, transport listener, registry and codecs, each from options with embedded
 * defaults (mDNS registry on the loopback interface, TCP on 127.0.0.1, JSON codec).
 * @example
 * const node = await createNode();
 * await node.serve(greeter, { instances: 4 });
 * const reply = await node.client.call('greeter', 'Say.Hello', { name: 'Ada' });
 */
export async function createNode(options: NodeOptions = {}): Promise<MeshNode> {
  const o = resolveNodeOptions(options);
  const givenSystem = options.system instanceof Object && 'spawn' in options.system ? (options.system as ActorSystem) : undefined;
  const system = givenSystem ?? createActorSystem({ ...(options.system as CreateActorSystemOptions | undefined), nodeId: o.id, logger: o.logger });
  const codecs = isCodecs(options.codecs) ? options.codecs : createCodecs({ ...(options.codecs as Partial<CodecsOptions> | undefined), logger: o.logger });
  const registry = await o.registry();
  // A node closes only what it made; a registry, transport, codecs or system passed in may be shared.
  const owned: Owned = {
    system: givenSystem === undefined,
    codecs: !isCodecs(options.codecs),
    registry: typeof options.registry !== 'object',
    transport: typeof options.transport !== 'object',
  };
  const node = new Node(system.nodeId, system, registry, o.transport, codecs, o.logger, o, owned);
  try {
    await node.start();
  } catch (err) {
    await node.stop().catch(() => {});
    throw err;
  }
  return node;
}

function isCodecs(c: unknown): c is Codecs {
  return typeof c === 'object' && c !== null && typeof (c as Codecs).get === 'function' && typeof (c as Codecs).decodeAsync === 'function';
}

export type { ClientOptions, NodeOptions, ServeOptions };
export { defaultCodecsOptions };
