import {
  type AskOptions,
  BaseRef,
  Envelope,
  formatAddress,
  type Meta,
  messageTypeOf,
  type ReplyTo,
  type SendResult,
  type SerializedRef,
  type Watcher,
} from '../../actors/index.ts';
import type { RemoteActors } from './remote-actors.ts';

/** A ref to an actor on another node: messages travel as MESSAGE frames over this node's connection to that node. */
export class RemoteRef<M = unknown> extends BaseRef<M> {
  constructor(
    readonly remote: RemoteActors,
    readonly nodeId: string,
    readonly path: string,
    readonly incarnation: number | undefined,
    readonly uid: number | undefined,
  ) {
    super();
  }

  get address(): string {
    return formatAddress(this.nodeId, this.path, this.incarnation);
  }

  deliver(message: M, meta: Meta): SendResult {
    return this.remote.send(this, message, meta);
  }

  ask<Q extends M>(message: Q, options?: AskOptions): Promise<ReplyTo<M, Q>> {
    const ep = this.remote.asks.create(this.address, messageTypeOf(message), options);
    ep.replier = this.nodeId;
    this.remote.send(this, message, options?.headers === undefined ? ep : new Envelope(ep, options.headers));
    return ep.promise as Promise<ReplyTo<M, Q>>;
  }

  addWatcher(watcher: Watcher): void {
    this.remote.watch(this, watcher);
  }

  removeWatcher(watcher: Watcher): void {
    this.remote.unwatch(this, watcher);
  }

  toJSON(): SerializedRef {
    const json: SerializedRef = { $ref: formatAddress(this.nodeId, this.path, this.incarnation) };
    if (this.uid !== undefined) json.uid = this.uid;
    return json;
  }
}
