/**
 * The broker contract: pub/sub between nodes. A back end moves encoded messages (bytes, content type, metadata and
 * CloudEvents attributes) from a publish to the subscriptions whose pattern matches; the node above it checks
 * topics, runs the middleware, encodes and decodes, and runs every subscription as a supervised actor. The memory
 * and mesh-native back ends live here; NATS core and Redis pub/sub in src/plugins/. Every back end passes
 * test/conformance/broker.ts.
 *
 * Delivery: broadcast to every subscription, except that subscriptions sharing a queue group get each message
 * once per group (one member, on any node). At most once: a back end never redelivers.
 */
import type { Clock } from '../../actors/clock.ts';
import type { Logger } from '../../actors/index.ts';
import type { Metadata } from '../metadata.ts';
import type { FrameHandler } from '../peers/frame-router.ts';
import type { Peer } from '../peers/peer.ts';
import type { Registry, Service } from '../registry/registry.ts';

/** One message as a back end carries it. The id, source, type and time are its CloudEvents attributes. */
export interface BrokerMessage {
  /** The topic it was published on (never a pattern). */
  readonly topic: string;
  readonly body: Uint8Array;
  /** How `body` is encoded, e.g. `application/json`. */
  readonly contentType: string;
  readonly metadata: Metadata;
  /** Unique per publish (CloudEvents `id`). */
  readonly id: string;
  /** Who published it (CloudEvents `source`), `micromesh://<node id>` for micromesh nodes. */
  readonly source: string;
  /** What it is (CloudEvents `type`); micromesh publishes use the topic unless told otherwise. */
  readonly type: string;
  /** When it was published, RFC 3339 (CloudEvents `time`). */
  readonly time: string;
  /**
   * The body already decoded, when a back end had to parse it anyway (a structured CloudEvent's JSON `data`): the
   * subscription uses it instead of decoding `body`, which is then empty.
   */
  readonly decoded?: { readonly value: unknown };
}

/** Where a back end hands what arrives for one subscription. */
export interface BrokerSink {
  /**
   * A message arrived. Returns once it is accepted (queued to the subscriber); throws a MicroError when it is refused
   * (the subscriber's mailbox is full: OVERLOADED), which a back end that can report back (mesh-native) reports.
   */
  deliver(message: BrokerMessage): void;
  /** Something arrived that is not a message (a foreign publisher's malformed one): dead-lettered with `reason`. */
  malformed(topic: string, reason: string, raw: Uint8Array): void;
}

export interface BrokerSubscribeOptions {
  /** Subscriptions with the same queue group share its messages: each goes to one of them. @default broadcast */
  queue?: string;
}

/** A live subscription of a back end. */
export interface BrokerSubscription {
  readonly pattern: string;
  readonly queue: string | undefined;
  /** Stops delivery; idempotent. */
  unsubscribe(): Promise<void>;
}

/** What the mesh-native back end needs from its node; given through {@link Broker.attach} once the node is built. */
export interface BrokerHost {
  readonly nodeId: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly registry: Registry;
  /** Handles frames of one type; returns a function that removes the handler. */
  onFrame(type: number, handler: FrameHandler): () => void;
  /** The connection to a node (dialed on first use). */
  peerForNode(nodeId: string): Peer | Promise<Peer>;
  /**
   * Registers this node under `service` (name and version given, nodes filled in) and keeps it registered with the
   * node's heartbeat, replacing an earlier registration of the same name; `undefined` withdraws it.
   */
  advertise(name: string, service: Omit<Service, 'nodes'> | undefined): Promise<void>;
}

export interface Broker {
  /** The back end's name, e.g. `memory`, `mesh`, `nats`, `redis`. */
  readonly name: string;
  /**
   * Sends a message to every matching subscription. Resolves once the back end took it (mesh-native: once each
   * subscribing node accepted delivery; NATS and Redis: once the client took it). Rejects with UNAVAILABLE (503,
   * retryable) when the back end cannot take it now.
   */
  publish(message: BrokerMessage): Promise<void>;
  /** Starts delivering messages on topics matching a checked `pattern` to `sink`; resolves once it is live. */
  subscribe(pattern: string, options: BrokerSubscribeOptions, sink: BrokerSink): Promise<BrokerSubscription>;
  /** Called by the node once its mesh exists; only back ends that ride the mesh itself need it. */
  attach?(host: BrokerHost): void | Promise<void>;
  /** Stops every subscription and releases connections. */
  close(): Promise<void>;
}
