import type { AskRegistry } from '../../actors/ask.ts';
import {
  type ActorSystem,
  type Address,
  type AnyRef,
  AskEndpoint,
  AskFailure,
  type BaseRef,
  DeadRef,
  Envelope,
  formatAddress,
  headersOf,
  type Logger,
  type Meta,
  parseAddress,
  type RemoteResolver,
  type SendResult,
  type SerializedRef,
  senderOf,
  type StopReason,
  type Watcher,
} from '../../actors/index.ts';
import type { DeadLetterReason } from '../../actors/event-stream.ts';
import { MicroError } from '../errors.ts';
import type { Metadata } from '../metadata.ts';
import { compose, type InboundMessage, type Middleware, type OutboundMessage, type ReceiveNext, type SendNext } from '../middleware/middleware.ts';
import type { FrameRouter } from '../peers/frame-router.ts';
import type { Peer } from '../peers/peer.ts';
import { decodeMessage, encodeError, encodeMessage, Flag, type MessageHeader } from '../protocol.ts';
import { type Frame, FrameType } from '../transport/transport.ts';
import { Exposure } from './exposure.ts';
import { RemoteRef } from './remote-ref.ts';

const JSON_TYPE = 'application/json';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface RemoteActorsDeps {
  system: ActorSystem;
  asks: AskRegistry;
  router: FrameRouter;
  log: Logger;
  middleware: readonly Middleware[];
  peerForNode(nodeId: string): Peer | Promise<Peer>;
  deadLetter(recipient: string, message: unknown, meta: Meta, reason: DeadLetterReason): void;
}

/** A message on its way out, with what the frame needs. */
interface Outgoing extends OutboundMessage {
  readonly ref: RemoteRef;
  readonly meta: Meta;
  readonly from: string | undefined;
}

/**
 * Plain actor messages between nodes. Sending: a resolver turns other nodes' addresses into RemoteRefs; a message
 * travels as JSON in a MESSAGE frame, and every local ref it carries (its sender included) is granted to the target
 * node so it can answer. Receiving: only actors exposed to the mesh or granted to the sending node are reachable,
 * a reply settles an ask only when it comes from the node the ask went to, and everything arrives marked with its
 * origin, so supervisor control messages from the network are refused by the kernel.
 */
export class RemoteActors {
  readonly exposure = new Exposure();
  readonly #watchers = new Map<string, Set<{ ref: RemoteRef; watcher: Watcher }>>();
  readonly #send: SendNext;
  readonly #receive: ReceiveNext;
  readonly #off: () => void;
  readonly asks: AskRegistry;
  readonly #system: ActorSystem;

  constructor(readonly deps: RemoteActorsDeps) {
    this.asks = deps.asks;
    this.#system = deps.system;
    this.#send = compose(deps.middleware, 'send', (m) => this.#write(m as Outgoing));
    this.#receive = compose(deps.middleware, 'receive', (m) => this.#deliver(m as Incoming));
    this.#off = deps.router.on(FrameType.MESSAGE, (peer, frame) => this.#onMessage(peer, frame));
  }

  readonly resolver: RemoteResolver = (address: Address, serialized: SerializedRef | undefined): AnyRef =>
    new RemoteRef(this, address.nodeId, address.path, address.incarnation, serialized?.uid);

  // ---- sending ---------------------------------------------------------------------------------------

  send(ref: RemoteRef, message: unknown, meta: Meta): SendResult {
    const sender = senderOf(meta);
    let from: string | undefined;
    if (sender instanceof AskEndpoint) {
      sender.replier ??= ref.nodeId;
      from = sender.address;
    } else if (sender !== undefined) {
      from = sender.address;
      this.#grantIfLocal(ref.nodeId, sender.toJSON() as SerializedRef);
    }
    const out: Outgoing = { to: ref.address, message, metadata: headersOf(meta), ref, meta, from };
    try {
      this.#send(out);
    } catch (err) {
      this.#undeliverable(ref, message, meta, err);
      return false;
    }
    return true;
  }

  #grantIfLocal(nodeId: string, json: SerializedRef): void {
    const a = parseAddress(json.$ref);
    if (a !== undefined && a.nodeId === this.#system.nodeId) this.exposure.grant(nodeId, a.path, json.uid);
  }

  #write(out: Outgoing): void {
    const { ref, message, meta } = out;
    let body: Uint8Array;
    try {
      body =
        message instanceof AskFailure
          ? encodeError(MicroError.from(message.error))
          : encoder.encode(
              JSON.stringify(message, (_k, v: unknown) => {
                if (v !== null && typeof v === 'object' && typeof (v as SerializedRef).$ref === 'string') this.#grantIfLocal(ref.nodeId, v as SerializedRef);
                return v;
              }) ?? 'null',
            );
    } catch (err) {
      this.deps.log.warn({ to: ref.address, err }, 'actor message not serialisable; dropped');
      this.deps.deadLetter(ref.address, message, meta, 'rejected');
      return;
    }
    const header = encodeMessage({ to: ref.path, inc: ref.incarnation, uid: ref.uid, from: out.from, contentType: JSON_TYPE, metadata: out.metadata });
    const frame: Frame = { type: FrameType.MESSAGE, flags: message instanceof AskFailure ? Flag.Error : 0, streamId: 0, header, body };
    let peer: Peer | Promise<Peer>;
    try {
      peer = this.deps.peerForNode(ref.nodeId);
    } catch (err) {
      return this.#undeliverable(ref, message, meta, err);
    }
    const write = (p: Peer): void => {
      try {
        p.send(frame);
      } catch (err) {
        this.#undeliverable(ref, message, meta, err);
      }
    };
    if (peer instanceof Promise) peer.then(write, (err: unknown) => this.#undeliverable(ref, message, meta, err));
    else write(peer);
  }

  #undeliverable(ref: RemoteRef, message: unknown, meta: Meta, err: unknown): void {
    this.deps.log.debug({ to: ref.address, reason: MicroError.from(err).detail }, 'remote actor unreachable');
    this.deps.deadLetter(ref.address, message, meta, 'unknown');
  }

  // ---- receiving -------------------------------------------------------------------------------------

  #onMessage(peer: Peer, frame: Frame): void {
    const header = decodeMessage(frame.header);
    const nodeId = peer.verifiedId;
    // A sender address is believed only when it lies on the node the message came from.
    const fromAddress = header.from === undefined ? undefined : parseAddress(header.from);
    const sender = fromAddress !== undefined && nodeId !== undefined && fromAddress.nodeId === nodeId ? this.#system.ref(header.from as string) : undefined;
    const local = formatAddress(this.#system.nodeId, header.to, header.inc);
    const target = this.#target(peer, header, local);
    if (target === undefined) {
      this.deps.deadLetter(local, undefined, undefined, 'unknown');
      if (sender !== undefined && (frame.flags & Flag.Error) === 0) sender.tell(new AskFailure(new MicroError('ACTOR_NOT_FOUND', `no actor at ${local}`, { id: this.#system.nodeId })));
      return;
    }
    let message: unknown;
    if ((frame.flags & Flag.Error) !== 0) {
      message = new AskFailure(MicroError.fromJSON(safeParse(decoder.decode(frame.body)) as object));
    } else {
      try {
        message = JSON.parse(decoder.decode(frame.body), (_k, v: unknown) => this.#revive(peer, v));
      } catch (err) {
        this.deps.log.warn({ from: peer.name, reason: String(err) }, 'undecodable actor message dropped');
        sender?.tell(new AskFailure(new MicroError('DECODE_FAILED', 'actor message body is not valid JSON')));
        return;
      }
    }
    const incoming: Incoming = { to: header.to, message, metadata: header.metadata, caller: peer.caller, target, sender };
    try {
      this.#receive(incoming);
    } catch (err) {
      const e = MicroError.from(err);
      this.deps.deadLetter(local, message, undefined, 'rejected');
      if (sender !== undefined && !(message instanceof AskFailure)) sender.tell(new AskFailure(e));
    }
  }

  /** The local actor a message may reach, or undefined when it names nothing the sending node may reach. */
  #target(peer: Peer, header: MessageHeader, local: string): BaseRef | undefined {
    const ref = this.#system.ref(header.uid === undefined ? local : { $ref: local, uid: header.uid }) as BaseRef;
    if (ref instanceof DeadRef) return undefined;
    if (ref instanceof AskEndpoint) return ref.replier !== undefined && ref.replier === peer.verifiedId ? ref : undefined;
    return this.exposure.allows(peer.verifiedId, ref) ? ref : undefined;
  }

  #deliver(m: Incoming): void {
    const meta: Meta = new Envelope(m.sender, Object.keys(m.metadata).length === 0 ? undefined : m.metadata, -1, undefined, m.caller);
    m.target.deliver(m.message, meta);
  }

  #revive(peer: Peer, v: unknown): unknown {
    if (v === null || typeof v !== 'object' || typeof (v as SerializedRef).$ref !== 'string' || Object.keys(v).length > 2) return v;
    const json = v as SerializedRef;
    const a = parseAddress(json.$ref);
    if (a === undefined) return v;
    const ref = this.#system.ref(json);
    // A ref to one of this node's actors is usable only if the sending node could reach that actor anyway.
    if (a.nodeId === this.#system.nodeId && !(ref instanceof DeadRef) && !this.exposure.allows(peer.verifiedId, ref)) return this.#system.ref(`mesh://${a.nodeId}/denied`);
    return ref;
  }

  // ---- death watch across nodes ----------------------------------------------------------------------

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

  close(): void {
    this.#off();
  }
}

interface Incoming extends InboundMessage {
  readonly target: BaseRef;
  readonly sender: AnyRef | undefined;
  readonly metadata: Metadata;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { code: 500, detail: 'garbled error' };
  }
}
