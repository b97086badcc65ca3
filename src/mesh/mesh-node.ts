import type { ActorRef, ActorSystem, AnyRef, Logger, SerializedRef } from '../actors/index.ts';
import type { SupervisorInfo } from '../supervisor/index.ts';
import type { Auth } from './auth/auth.ts';
import type { MessageHandler, PublishOptions, SubscribeOptions, Subscription } from './broker/api.ts';
import type { Broker } from './broker/broker.ts';
import type { MeshClient } from './client/client.ts';
import type { Codecs } from './codec/codecs.ts';
import type { Config } from './config/config.ts';
import type { NodeOps } from './ops/node-ops.ts';
import type { Registry } from './registry/registry.ts';
import type { ServeOptions } from './server/serve-options.ts';
import type { Service } from './service.ts';
import type { Store } from './store/store.ts';
import type { Sync } from './sync/sync.ts';
import type { Transport } from './transport/transport.ts';
import type { Events } from './events/events.ts';

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
  /** Records by key, scoped by database and table: `node.store.scope({ table: 'orders' })`. */
  readonly store: Store;
  /** Locks with fencing tokens and leader election: `node.sync.lock('id')`, `node.sync.elect('name')`. */
  readonly sync: Sync;
  /** Settings merged from the config sources, hot-reloaded: `node.config.get('db.port', 5432)`, `watch`, `scan`. */
  readonly config: Config;
  /** Identity and access: `node.auth.issue(account)`, `setRules`, `useRules(source)`; `enabled` is false when off. */
  readonly auth: Auth;
  /** Event streams with consumer groups, acks and dead letters: `node.events.publish(topic, e)`, `node.events.consume(topic, { group }, handler)`. */
  readonly events: Events;
  readonly log: Logger;
  /** The pub/sub back end `publish` and `subscribe` use (mesh-native by default). */
  readonly broker: Broker;
  /**
   * Publishes `message` on `topic` (dot-separated, no wildcards), encoded with `options.codec` (JSON by default),
   * through the `publish` middleware. Resolves once the broker took it; BAD_REQUEST (400) for a bad topic or a value
   * the codec cannot encode (nothing is sent), 503 when the broker cannot take it now.
   */
  publish(topic: string, message: unknown, options?: PublishOptions): Promise<void>;
  /**
   * Runs `handler` for each message on topics matching `topic` (`*` one segment, `>` the rest), in a supervised
   * actor: broadcast, or one member per `queue` group. Resolves once the subscription is live.
   */
  subscribe<T = unknown>(topic: string, handler: MessageHandler<T>, options?: SubscribeOptions): Promise<Subscription>;
  /** Spawns the service's instances as supervised actors and registers it. */
  serve(service: Service, options?: ServeOptions): Promise<void>;
  /** A ref to an actor on any node: `mesh://<node>/user/x`. */
  ref<M = unknown>(address: string | SerializedRef): ActorRef<M>;
  /** Makes a local actor reachable by actor messages from other nodes; returns a function that withdraws it. */
  expose(ref: AnyRef): () => void;
  /** Readiness checks (`addCheck`), served at /health/ready; the metrics registry and operations port address. */
  readonly health: NodeOps['health'];
  readonly ops: NodeOps;
  /** The node's supervised tree of components, as its supervisor reports it. */
  inspect(): Promise<SupervisorInfo>;
  /** Deregisters, refuses new requests, lets calls in flight finish (up to `drainTimeoutMs`), then stops its tree. */
  stop(): Promise<void>;
}
