import { formatAddress } from './address.ts';
import { ActorStoppedError, messageTypeOf } from './errors.ts';
import { BaseRef, Envelope, type Meta, type Watcher } from './refs.ts';
import type { AskEndpoint, AskRegistry } from './ask.ts';
import type { Cell } from './cell.ts';
import type { AskOptions, ReplyTo, SendResult, SerializedRef } from './types.ts';

/** A ref to an actor of this system. It follows its cell across restarts; a new spawn gets a new ref. */
export class LocalRef<M = unknown> extends BaseRef<M> {
  constructor(
    readonly cell: Cell<M>,
    readonly asks: AskRegistry,
  ) {
    super();
  }

  get path(): string {
    return this.cell.path;
  }

  get address(): string {
    return formatAddress(this.asks.nodeId, this.cell.path, this.cell.incarnation);
  }

  deliver(message: M, meta: Meta): SendResult {
    return this.cell.enqueue(message, meta);
  }

  ask<Q extends M>(message: Q, options?: AskOptions): Promise<ReplyTo<M, Q>> {
    let ep: AskEndpoint;
    try {
      ep = this.asks.create(this.cell.path, messageTypeOf(message), options);
    } catch (error) {
      return Promise.reject(error);
    }
    this.cell.enqueue(message, options?.headers === undefined ? ep : new Envelope(ep, options.headers));
    return ep.promise as Promise<ReplyTo<M, Q>>;
  }

  addWatcher(watcher: Watcher): void {
    this.cell.addWatcher(watcher);
  }

  removeWatcher(watcher: Watcher): void {
    this.cell.removeWatcher(watcher);
  }

  toJSON(): SerializedRef {
    return { $ref: formatAddress(this.asks.nodeId, this.cell.path), uid: this.cell.uid };
  }
}

/** A ref to nothing: every message is a dead letter, every ask fails at once, a watch reports Terminated at once. */
export class DeadRef extends BaseRef {
  constructor(
    readonly address: string,
    readonly path: string,
    readonly onDeadLetter: (recipient: string, message: unknown, meta: Meta) => void,
  ) {
    super();
  }

  deliver(message: unknown, meta: Meta): SendResult {
    this.onDeadLetter(this.address, message, meta);
    return false;
  }

  ask<Q>(message: Q, _options?: AskOptions): Promise<ReplyTo<unknown, Q>> {
    return Promise.reject(new ActorStoppedError(this.address, messageTypeOf(message)));
  }

  addWatcher(watcher: Watcher): void {
    watcher.notifyTerminated(this, { type: 'unknown' });
  }

  removeWatcher(_watcher: Watcher): void {}

  toJSON(): SerializedRef {
    return { $ref: this.address };
  }
}
