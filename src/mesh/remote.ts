import {
  type ActorSystem,
  type Address,
  type AnyRef,
  AskFailure,
  type AskOptions,
  BaseRef,
  DeadRef,
  Envelope,
  formatAddress,
  headersOf,
  type Logger,
  type Meta,
  messageTypeOf,
  type RemoteResolver,
  type ReplyTo,
  type SendResult,
  type SerializedRef,
  senderOf,
  type StopReason,
  type Watcher,
} from '../actors/index.ts';
import { kernelOf } from '../actors/internal.ts';
import { MicroError } from './errors.ts';
import type { Peer } from './peer.ts';
import { decodeMessage, encodeError, encodeMessage, Flag } from './protocol.ts';
import { type Frame, FrameType } from './transport/transport.ts';

const JSON_TYPE = 'application/json';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A ref to an actor on another node: messages travel as MESSAGE frames over the one connection to that node. */
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
    const ep = kernelOf(this.remote.system).asks.create(this.address, messageTypeOf(message), options);
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

/**
 * Plain actor messages between nodes: a resolver that turns other nodes' addresses into RemoteRefs, the sending
 * side, and the receiving side that delivers to local actors (and answers an ask to nothing with a 404 at once).
 * Refs inside messages travel as `{ $ref, uid }` and arrive as refs that can be sent to.
 */
export class RemoteActors {
  readonly #watchers = new Map<string, Set<{ ref: RemoteRef; watcher: Watcher }>>();

  constructor(
    readonly system: ActorSystem,
    readonly peerFor: (nodeId: string) => Peer | Promise<Peer>,
    readonly log: Logger,
  ) {}

  readonly resolver: RemoteResolver = (address: Address, serialized: SerializedRef | undefined): AnyRef =>
    new RemoteRef(this, address.nodeId, address.path, address.incarnation, serialized?.uid);

  send(ref: RemoteRef, message: unknown, meta: Meta): SendResult {
    let body: Uint8Array;
    const sender = senderOf(meta);
    try {
      body = message instanceof AskFailure ? encodeError(MicroError.from(message.error)) : encoder.encode(JSON.stringify(message) ?? 'null');
    } catch (err) {
      this.log.warn({ to: ref.address, err }, 'actor message not serialisable; dropped');
      kernelOf(this.system).deadLetter(ref.address, message, meta, 'rejected');
      return false;
    }
    const header = encodeMessage({ to: ref.path, inc: ref.incarnation, uid: ref.uid, from: sender?.address, contentType: JSON_TYPE, metadata: headersOf(meta) });
    const frame: Frame = { type: FrameType.MESSAGE, flags: message instanceof AskFailure ? Flag.Error : 0, streamId: 0, header, body };
    let peer: Peer | Promise<Peer>;
    try {
      peer = this.peerFor(ref.nodeId);
    } catch (err) {
      this.#undeliverable(ref, message, meta, err);
      return false;
    }
    if (peer instanceof Promise) {
      peer.then(
        (p) => this.#write(p, frame, ref, message, meta),
        (err: unknown) => this.#undeliverable(ref, message, meta, err),
      );
    } else this.#write(peer, frame, ref, message, meta);
    return true;
  }

  #write(peer: Peer, frame: Frame, ref: RemoteRef, message: unknown, meta: Meta): void {
    try {
      peer.send(frame);
    } catch (err) {
      this.#undeliverable(ref, message, meta, err);
    }
  }

  #undeliverable(ref: RemoteRef, message: unknown, meta: Meta, err: unknown): void {
    this.log.debug({ to: ref.address, reason: MicroError.from(err).detail }, 'remote actor unreachable');
    kernelOf(this.system).deadLetter(ref.address, message, meta, 'unknown');
  }

  onMessage(peer: Peer, frame: Frame): void {
    const header = decodeMessage(frame.header);
    let message: unknown;
    if ((frame.flags & Flag.Error) !== 0) {
      const text = decoder.decode(frame.body);
      message = new AskFailure(MicroError.fromJSON(safeParse(text) as object));
    } else {
      try {
        message = JSON.parse(decoder.decode(frame.body), (_k, v: unknown) => this.#revive(v));
      } catch (err) {
        this.log.warn({ from: peer.remoteNodeId, reason: String(err) }, 'undecodable actor message dropped');
        if (header.from !== undefined) this.system.ref(header.from).tell(new AskFailure(new MicroError('DECODE_FAILED', 'actor message body is not valid JSON')));
        return;
      }
    }
    const local = formatAddress(this.system.nodeId, header.to, header.inc);
    const target = this.system.ref(header.uid === undefined ? local : { $ref: local, uid: header.uid });
    const sender = header.from === undefined ? undefined : this.system.ref(header.from);
    if (target instanceof DeadRef && sender !== undefined && !(message instanceof AskFailure)) {
      kernelOf(this.system).deadLetter(local, message, undefined, 'unknown');
      sender.tell(new AskFailure(new MicroError('ACTOR_NOT_FOUND', `no actor at ${local}`, { id: this.system.nodeId })));
      return;
    }
    const headers = header.metadata;
    (target as BaseRef).deliver(message, Object.keys(headers).length === 0 ? (sender as BaseRef | undefined) : new Envelope(sender, headers));
  }

  #revive(v: unknown): unknown {
    if (v !== null && typeof v === 'object' && typeof (v as SerializedRef).$ref === 'string' && Object.keys(v).length <= 2) {
      return this.system.ref(v as SerializedRef);
    }
    return v;
  }

  watch(ref: RemoteRef, watcher: Watcher): void {
    let set = this.#watchers.get(ref.nodeId);
    if (set === undefined) {
      set = new Set();
      this.#watchers.set(ref.nodeId, set);
    }
    set.add({ ref, watcher });
  }

  unwatch(ref: RemoteRef, watcher: Watcher): void {
    const set = this.#watchers.get(ref.nodeId);
    if (set === undefined) return;
    for (const e of set) if (e.ref === ref && e.watcher === watcher) set.delete(e);
  }

  /** The connection to a node is gone: everyone watching an actor there gets Terminated. */
  nodeGone(nodeId: string): void {
    const set = this.#watchers.get(nodeId);
    if (set === undefined) return;
    this.#watchers.delete(nodeId);
    const reason: StopReason = { type: 'unknown' };
    for (const { ref, watcher } of set) watcher.notifyTerminated(ref, reason);
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { code: 500, detail: 'garbled error' };
  }
}
