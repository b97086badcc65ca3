import type { ActorRef, AnyRef, AskOptions, ReplyTo, SendResult, SerializedRef, StopReason, TellOptions } from './types.ts';

/** Sender and headers of a message, when it has more than a plain sender. */
export class Envelope {
  constructor(
    readonly sender: AnyRef | undefined,
    readonly headers: Readonly<Record<string, string>> | undefined,
    /** Set on timer messages: the incarnation whose timer sent it. */
    readonly timerIncarnation = -1,
    readonly timerKey: string | undefined = undefined,
    /** Set on messages that came from another node: that node's id. Control messages never come from there. */
    readonly origin: string | undefined = undefined,
  ) {}
}

export type Meta = BaseRef | Envelope | undefined;

/** Someone that wants a Terminated signal when a ref stops. */
export interface Watcher {
  notifyTerminated(ref: AnyRef, reason: StopReason): void;
}

/**
 * The kernel's view of every ref, local or remote (protoactor's Process): how to deliver a message, and
 * how to be watched. The mesh implements it for remote actors; the kernel knows no network.
 */
export abstract class BaseRef<M = unknown> implements ActorRef<M> {
  abstract readonly path: string;
  abstract readonly address: string;
  /** Deliver with a prepared meta; returns the outcome, or a promise under backpressure. */
  abstract deliver(message: M, meta: Meta): SendResult;
  abstract addWatcher(watcher: Watcher): void;
  abstract removeWatcher(watcher: Watcher): void;
  abstract ask<Q extends M>(message: Q, options?: AskOptions): Promise<ReplyTo<M, Q>>;
  abstract toJSON(): SerializedRef;

  tell(message: M, options?: TellOptions | AnyRef): SendResult {
    return this.deliver(message, toMeta(options));
  }

  toString(): string {
    return this.address;
  }
}

export function toMeta(options: TellOptions | AnyRef | undefined): Meta {
  if (options === undefined) return undefined;
  if (options instanceof BaseRef) return options;
  const o = options as TellOptions;
  if (o.headers === undefined) return o.sender as BaseRef | undefined;
  return new Envelope(o.sender, o.headers);
}

export function senderOf(meta: Meta): AnyRef | undefined {
  return meta instanceof Envelope ? meta.sender : meta;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

export function headersOf(meta: Meta): Readonly<Record<string, string>> {
  return meta instanceof Envelope && meta.headers !== undefined ? meta.headers : NO_HEADERS;
}
