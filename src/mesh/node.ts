import type { ActorRef, ActorSystem, AnyRef, Logger, SerializedRef } from '../actors/index.ts';
import type { SupervisorInfo } from '../supervisor/index.ts';
import type { Auth } from './auth/auth.ts';
import type { MessageHandler, PublishOptions, SubscribeOptions, Subscription } from './broker/api.ts';
import type { Broker } from './broker/broker.ts';
import type { MeshClient } from './client/client.ts';
import type { Codecs } from './codec/codecs.ts';
import type { Config } from './config/config.ts';
import { MicroError } from './errors.ts';
import { buildNodeParts, lateProbe, nodeBasics, type NodeParts } from './node-parts.ts';
import { NodeServices } from './node-services.ts';
import { type NodeOptions, openNodePlugins, type ResolvedNodeOptions, resolveNodeOptions } from './node-options.ts';
import { kernelOf } from '../actors/internal.ts';
import { type NodeTree, startNodeTree } from './node-tree.ts';
import { type NodeOps, resolveOpsSettings } from './ops/node-ops.ts';
import type { MeshNode } from './mesh-node.ts';
import type { Registry } from './registry/registry.ts';
import type { ServeOptions } from './server/serve-options.ts';
import type { Service } from './service.ts';
import type { Store } from './store/store.ts';
import type { Sync } from './sync/sync.ts';
import type { Transport } from './transport/transport.ts';
import type { Events } from './events/events.ts';

export { NODE_SERVICE } from './client/resolver.ts';

export type { MeshNode };

class Node implements MeshNode {
  readonly client: MeshClient;
  readonly ops: NodeOps;
  readonly health: NodeOps['health'];
  readonly store: Store;
  readonly sync: Sync;
  readonly auth: Auth;
  readonly events: Events;
  readonly broker: Broker;
  #tree: NodeTree | undefined;
  readonly #services: NodeServices;
  #stopping: Promise<void> | undefined;

  constructor(
    readonly system: ActorSystem,
    readonly registry: Registry,
    readonly transport: Transport,
    readonly codecs: Codecs,
    readonly log: Logger,
    readonly parts: NodeParts,
    readonly options: ResolvedNodeOptions,
    readonly owns: { system: boolean; codecs: boolean },
  ) {
    this.client = parts.client;
    this.ops = parts.ops;
    this.health = parts.ops.health;
    this.store = parts.plugins.store.value;
    this.sync = parts.plugins.sync.value;
    this.broker = parts.plugins.broker.value;
    this.events = parts.events;
    this.auth = parts.plugins.auth.value;
    this.#services = new NodeServices({ system, registry, sync: this.sync, log, parts });
  }

  get config(): Config {
    return this.parts.config.current();
  }

  get id(): string {
    return this.system.nodeId;
  }

  get address(): string {
    return this.parts.directory.address;
  }

  async start(): Promise<void> {
    this.#tree = await startNodeTree(this.system, 'node', this.parts.components);
    this.log.info({ node: this.id, address: this.address, registry: this.registry.name, transport: this.transport.name }, 'node started');
  }

  async serve(service: Service, options: ServeOptions = {}): Promise<void> {
    if (this.#stopping !== undefined) throw new MicroError('UNAVAILABLE', 'node is stopping');
    await this.#services.serve(service, options);
  }

  publish(topic: string, message: unknown, options?: PublishOptions): Promise<void> {
    return this.parts.pubsub.publish(topic, message, options);
  }

  subscribe<T = unknown>(topic: string, handler: MessageHandler<T>, options?: SubscribeOptions): Promise<Subscription> {
    return this.parts.pubsub.subscribe(topic, handler, options);
  }

  ref<M = unknown>(address: string | SerializedRef): ActorRef<M> {
    return this.system.ref<M>(address);
  }

  expose(ref: AnyRef): () => void {
    return this.parts.remote.exposure.expose(ref);
  }

  inspect(): Promise<SupervisorInfo> {
    if (this.#tree === undefined) return Promise.reject(new MicroError('UNAVAILABLE', 'node not started'));
    // The engine connections' actors (under /system/engines) are listed with the node's components.
    return Promise.all([this.#tree.inspect(), this.parts.plugins.table.resources.supervised()]).then(([info, engines]) => ({ ...info, children: [...info.children, ...engines] }));
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const { registrations, server, directory } = this.parts;
    await this.#services.stopSingletons();
    for (const r of registrations.splice(0).reverse()) await this.registry.deregister(r).catch(() => {});
    server.draining = true;
    directory.goaway();
    const left = await server.drain(this.options.drainTimeoutMs);
    if (left > 0) this.log.warn({ left }, 'calls still running at the drain deadline were failed');
    await this.#tree?.stop();
    if (this.owns.system) await this.system.terminate();
    if (this.owns.codecs) await this.codecs.close();
    await this.parts.plugins.table.close();
  }
}

/**
 * Starts a node: its actor system and its supervised tree of components (registry, transport listener, peers,
 * registry watch, server), each from options with embedded defaults (mDNS on the loopback interface, TCP on
 * 127.0.0.1, JSON codec). Rejects with one clear error when it cannot start (address in use, unknown registry…).
 * @example
 * const node = await createNode();
 * await node.serve(greeter, { instances: 4 });
 * const reply = await node.client.call('greeter', 'Say.Hello', { name: 'Ada' });
 */
export async function createNode(options: NodeOptions = {}): Promise<MeshNode> {
  const o = resolveNodeOptions(options);
  const { system, codecs, owns } = nodeBasics(options, o);
  const admit = lateProbe();
  const plugins = await openNodePlugins(o, kernelOf(system).clock, admit.probe, system).catch(async (err: unknown) => {
    if (owns.codecs) await codecs.close();
    if (owns.system) await system.terminate();
    throw err;
  });
  const parts = buildNodeParts({ system, plugins, codecs, log: o.logger, options: o, ops: resolveOpsSettings(options, o.env) });
  admit.set(parts.admit);
  const node = new Node(system, plugins.registry.value, plugins.transport.value, codecs, o.logger, parts, o, owns);
  await node.start().catch(async (err: unknown) => {
    await node.stop().catch(() => {});
    throw err;
  });
  return node;
}

export type { NodeOptions, ServeOptions };
