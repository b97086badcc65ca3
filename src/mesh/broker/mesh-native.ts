/**
 * The mesh-native broker, the embedded default: no server to run. Each node registers its subscriptions in the
 * registry; a publisher picks the nodes whose subscriptions match (every broadcast subscriber's node, and one member
 * node per queue group, in turn), sends each one PUBLISH frame over the mesh transport, and resolves once every one
 * of them answered that it queued the message to its subscriptions. A node that did not accept fails the publish
 * with its error (OVERLOADED, NODE_GONE, CONNECT_FAILED: 503), after the others got it.
 */
import { MicroError } from '../errors.ts';
import type { Peer } from '../peers/peer.ts';
import { decodeError, encodeError, NO_HEADER } from '../protocol.ts';
import { type Frame, FrameType } from '../transport/transport.ts';
import type { Broker, BrokerHost, BrokerMessage, BrokerSink, BrokerSubscribeOptions, BrokerSubscription } from './broker.ts';
import { BROKER_SERVICE, SubscriberDirectory, subscriptionEndpoints } from './mesh-directory.ts';
import { decodePublish, encodePublish } from './mesh-wire.ts';
import { topicMatcher } from './topic.ts';

interface Local {
  readonly pattern: string;
  readonly queue: string | undefined;
  readonly matches: (topic: string) => boolean;
  readonly sink: BrokerSink;
}

/** Where one publish goes: node id → the queue groups that node was chosen for. */
type Plan = Map<string, string[]>;

const NO_QUEUES: string[] = [];

class MeshNativeBroker implements Broker {
  readonly name = 'mesh';
  readonly #locals = new Set<Local>();
  readonly #turns = new Map<string, number>();
  #host: BrokerHost | undefined;
  #directory: SubscriberDirectory | undefined;
  /** The directory's first load; started by the first publish or subscribe, so a node that never uses pub/sub never asks. */
  #loaded: Promise<void> | undefined;
  #off: (() => void) | undefined;
  #closed = false;

  attach(host: BrokerHost): void {
    this.#host = host;
    this.#directory = new SubscriberDirectory(host.nodeId);
    this.#off = host.onFrame(FrameType.PUBLISH, (peer, frame) => this.#onPublish(peer, frame));
  }

  #load(host: BrokerHost): Promise<void> {
    this.#loaded ??= (this.#directory as SubscriberDirectory).start(host.registry, (err) => host.log.warn({ err }, 'mesh broker: registry watch failed'));
    return this.#loaded;
  }

  /** How many (pattern, queue) subscriptions of other nodes this node knows of; starts the registry watch if need be. */
  async knownRemote(): Promise<number> {
    await this.#load(this.#needHost());
    return this.#directory?.size ?? 0;
  }

  async subscribe(pattern: string, options: BrokerSubscribeOptions, sink: BrokerSink): Promise<BrokerSubscription> {
    const host = this.#needHost();
    await this.#load(host);
    const local: Local = { pattern, queue: options.queue, matches: topicMatcher(pattern), sink };
    this.#locals.add(local);
    try {
      await this.#advertise(host);
    } catch (err) {
      this.#locals.delete(local);
      throw MicroError.from(err);
    }
    let done = false;
    return {
      pattern,
      queue: options.queue,
      unsubscribe: async () => {
        if (done) return;
        done = true;
        this.#locals.delete(local);
        if (!this.#closed) await this.#advertise(host);
      },
    };
  }

  #advertise(host: BrokerHost): Promise<void> {
    if (this.#locals.size === 0) return host.advertise(BROKER_SERVICE, undefined);
    return host.advertise(BROKER_SERVICE, { name: BROKER_SERVICE, version: host.nodeId, metadata: {}, endpoints: subscriptionEndpoints(this.#locals) });
  }

  publish(message: BrokerMessage): Promise<void> {
    if (this.#closed) return Promise.reject(new MicroError('UNAVAILABLE', 'mesh broker closed'));
    const host = this.#needHost();
    if (this.#loaded === undefined) return this.#load(host).then(() => this.publish(message));
    const plan = this.#plan(message.topic, host.nodeId);
    if (plan.size === 0) return Promise.resolve();
    const sends: Promise<void>[] = [];
    let header: Uint8Array | undefined;
    for (const [nodeId, queues] of plan) {
      if (nodeId === host.nodeId) {
        try {
          this.#deliverLocal(message, queues);
        } catch (err) {
          sends.push(Promise.reject(MicroError.from(err)));
        }
        continue;
      }
      const h = queues.length === 0 ? (header ??= encodePublish(message, NO_QUEUES)) : encodePublish(message, queues);
      sends.push(this.#sendTo(host, nodeId, h, message.body));
    }
    if (sends.length === 1) return sends[0] as Promise<void>;
    return Promise.allSettled(sends).then((results) => {
      for (const r of results) if (r.status === 'rejected') throw r.reason;
    });
  }

  /** Every node with a matching broadcast subscription, plus one node per matching queue group. */
  #plan(topic: string, self: string): Plan {
    const plan: Plan = new Map();
    const groups = new Map<string, string[]>();
    const add = (nodeId: string, queue: string | undefined): void => {
      if (queue === undefined) {
        if (!plan.has(nodeId)) plan.set(nodeId, []);
        return;
      }
      const members = groups.get(queue);
      if (members === undefined) groups.set(queue, [nodeId]);
      else if (!members.includes(nodeId)) members.push(nodeId);
    };
    for (const l of this.#locals) if (l.matches(topic)) add(self, l.queue);
    for (const [nodeId, subs] of this.#directory?.nodes() ?? []) for (const s of subs) if (s.matches(topic)) add(nodeId, s.queue);
    for (const [queue, members] of groups) {
      const chosen = members[this.#turn(queue) % members.length] as string;
      const queues = plan.get(chosen);
      if (queues === undefined) plan.set(chosen, [queue]);
      else queues.push(queue);
    }
    return plan;
  }

  #turn(key: string): number {
    const t = this.#turns.get(key) ?? 0;
    this.#turns.set(key, (t + 1) % 1_000_000_007);
    return t;
  }

  async #sendTo(host: BrokerHost, nodeId: string, header: Uint8Array, body: Uint8Array): Promise<void> {
    let peer = host.peerForNode(nodeId);
    if (peer instanceof Promise) peer = await peer;
    const p = peer;
    return new Promise<void>((resolve, reject) => {
      const id = p.nextStreamId();
      p.open(id, {
        onFrame: (frame: Frame) => {
          if (frame.type !== FrameType.RESPONSE && frame.type !== FrameType.ERROR) return;
          p.close(id);
          if (frame.type === FrameType.RESPONSE) resolve();
          else reject(decodeError(frame.body));
        },
        onGone: (err) => reject(err),
      });
      try {
        p.send({ type: FrameType.PUBLISH, flags: 0, streamId: id, header, body });
      } catch (err) {
        p.close(id);
        reject(MicroError.from(err));
      }
    });
  }

  #onPublish(peer: Peer, frame: Frame): void {
    let error: MicroError | undefined;
    try {
      const { message, queues } = decodePublish(frame.header, frame.body);
      this.#deliverLocal(message, queues);
    } catch (err) {
      error = MicroError.from(err);
      if (error.reason === 'PROTOCOL_ERROR') return peer.protocolError(error.detail);
    }
    if (peer.conn.closed) return;
    if (error === undefined) peer.send({ type: FrameType.RESPONSE, flags: 0, streamId: frame.streamId, header: NO_HEADER, body: NO_HEADER });
    else peer.send({ type: FrameType.ERROR, flags: 0, streamId: frame.streamId, header: NO_HEADER, body: encodeError(error) });
  }

  /** Delivers to each matching broadcast subscription here, and to one local member of each queue group named. */
  #deliverLocal(message: BrokerMessage, queues: readonly string[]): void {
    let first: unknown;
    let groups: Map<string, Local[]> | undefined;
    for (const l of this.#locals) {
      if (!l.matches(message.topic)) continue;
      if (l.queue === undefined) {
        try {
          l.sink.deliver(message);
        } catch (err) {
          first ??= err;
        }
      } else if (queues.includes(l.queue)) {
        groups ??= new Map();
        const members = groups.get(l.queue);
        if (members === undefined) groups.set(l.queue, [l]);
        else members.push(l);
      }
    }
    if (groups !== undefined) {
      for (const [queue, members] of groups) {
        try {
          (members[this.#turn(`local ${queue}`) % members.length] as Local).sink.deliver(message);
        } catch (err) {
          first ??= err;
        }
      }
    }
    if (first !== undefined) throw MicroError.from(first);
  }

  #needHost(): BrokerHost {
    if (this.#host === undefined) throw new MicroError('UNAVAILABLE', 'mesh broker: not attached to a started node');
    return this.#host;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#off?.();
    this.#directory?.stop();
    this.#locals.clear();
  }
}

/**
 * The mesh-native broker: subscribers found through the registry, messages over the mesh transport. A node made
 * without a `broker` option has one.
 * @example
 * const node = await createNode({ broker: 'mesh' });
 */
export function createMeshNativeBroker(): Broker {
  return new MeshNativeBroker();
}
