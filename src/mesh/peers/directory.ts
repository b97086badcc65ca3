import type { Clock } from '../../actors/clock.ts';
import type { Logger } from '../../actors/index.ts';
import type { HelloIdentity } from '../auth/auth.ts';
import { MicroError } from '../errors.ts';
import { decodeVerify, encodeVerify, type HelloHeader, NO_HEADER } from '../protocol.ts';
import { ownAddressFor, schemeOf } from '../transport/addresses.ts';
import { createPeerPool, type PeerPool } from '../transport/peer-pool.ts';
import { type Connection, type Frame, FrameType, type Transport } from '../transport/transport.ts';
import type { FrameRouter } from './frame-router.ts';
import type { PeerLimits } from './limits.ts';
import { Peer, type PeerOwner, type StreamSlot } from './peer.ts';

export interface PeerDirectoryDeps {
  nodeId: string;
  transport: Transport;
  router: FrameRouter;
  clock: Clock;
  log: Logger;
  limits: PeerLimits;
  dialTimeoutMs: number;
  /** With auth on: signs this node's HELLOs and checks its peers'. @default undefined (ids proven by dial-back only) */
  identity?: HelloIdentity | undefined;
  /**
   * The address the registry holds for a node id (its address of `scheme` when given), waiting up to `waitMs` for it
   * to appear; undefined if none.
   */
  addressOf(nodeId: string, waitMs: number, scheme?: string): Promise<string | undefined>;
}

const YES = Uint8Array.of(1);
const NO = Uint8Array.of(0);

/**
 * Every connection of a node, dialed or accepted. A node sends its own calls and messages only over connections it
 * dialed itself, to the address the registry holds for the node it wants; an accepted connection carries only the
 * remote's traffic and is never used for this node's, so claiming another node's id in a HELLO gains nothing.
 * The id an accepted connection claims is checked by dial-back: the claimed address must be the registry's address
 * for that id, and the node listening there must confirm, over a connection this node dialed, the nonce the claimant
 * sent. Until then its requests wait; a claim the address denies closes the connection; one that cannot be checked
 * leaves the caller 'unverified'.
 */
export class PeerDirectory implements PeerOwner {
  readonly clock: Clock;
  readonly log: Logger;
  readonly #deps: PeerDirectoryDeps;
  readonly #pool: PeerPool;
  readonly #dialed = new WeakMap<Connection, Peer>();
  readonly #live = new Set<Peer>();
  readonly #gone: Array<(nodeId: string) => void> = [];
  readonly #unreachable: Array<(nodeId: string, address: string) => void> = [];
  /** The address each dialed connection was dialed at. */
  readonly #dialedAt = new WeakMap<Connection, string>();
  #closing = false;
  #address = '';
  #addresses: readonly string[] = [];
  #offVerify: (() => void) | undefined;

  constructor(deps: PeerDirectoryDeps) {
    this.#deps = deps;
    this.clock = deps.clock;
    this.log = deps.log;
    this.#pool = createPeerPool(deps.transport, {
      clock: deps.clock,
      logger: deps.log,
      dialTimeoutMs: deps.dialTimeoutMs,
      onConnection: (address, conn) => {
        this.#dialedAt.set(conn, address);
        return this.#dialed.get(conn) ?? this.#attach(conn, true);
      },
    });
    this.#offVerify = deps.router.on(FrameType.VERIFY, (peer, frame) => this.#answerVerify(peer, frame), { beforeReady: true });
  }

  /** This node's advertised address, sent in every HELLO. */
  get address(): string {
    return this.#address;
  }

  set address(address: string) {
    this.#address = address;
    this.#addresses = [address];
  }

  /**
   * Every address of this node, its primary one first (a node listening on several transports). Each connection
   * sends, in its HELLO and identity checks, this node's address of the same scheme as the connection's peer.
   */
  get addresses(): readonly string[] {
    return this.#addresses;
  }

  set addresses(addresses: readonly string[]) {
    this.#address = addresses[0] ?? '';
    this.#addresses = addresses;
  }

  /** Takes an accepted connection. */
  accept(conn: Connection): void {
    this.#attach(conn, false);
  }

  #attach(conn: Connection, dialer: boolean): Peer {
    const address = ownAddressFor(this.#addresses, conn.remoteAddress);
    const peer = new Peer(conn, dialer, this, this.#deps.limits, { nodeId: this.#deps.nodeId, address });
    if (dialer) this.#dialed.set(conn, peer);
    this.#live.add(peer);
    return peer;
  }

  /** Every live peer (for GOAWAY and drains). */
  peers(): IterableIterator<Peer> {
    return this.#live.values();
  }

  /** Calls `listener` with a node id when the last connection to that node closed. */
  onNodeGone(listener: (nodeId: string) => void): void {
    this.#gone.push(listener);
  }

  /**
   * Calls `listener` when a connection this node dialed to a node dropped and the node's address no longer answers
   * (a re-dial fails): a first-hand sign the node died, sooner than any registry TTL.
   */
  onNodeUnreachable(listener: (nodeId: string, address: string) => void): void {
    this.#unreachable.push(listener);
  }

  /**
   * The ready peer this node dialed at `address`, dialing if needed. With `expectedId`, the node answering there
   * must be that node (a stale registry entry fails with CONNECT_FAILED, so the caller tries another node).
   */
  peer(address: string, expectedId?: string): Peer | Promise<Peer> {
    const conn = this.#pool.peek(address);
    const known = conn === undefined ? undefined : this.#dialed.get(conn);
    if (known?.isReady && (expectedId === undefined || known.verifiedId === expectedId)) return known;
    return this.#dial(address, expectedId);
  }

  async #dial(address: string, expectedId: string | undefined): Promise<Peer> {
    const conn = await this.#pool.get(address);
    const peer = this.#dialed.get(conn) ?? this.#attach(conn, true);
    await peer.ready.catch((err: unknown) => {
      throw new MicroError('CONNECT_FAILED', `${address}: ${MicroError.from(err).detail}`, { cause: err });
    });
    if (expectedId !== undefined && peer.verifiedId !== expectedId) {
      throw new MicroError('CONNECT_FAILED', `${address} answers as node ${peer.verifiedId}, not ${expectedId}`);
    }
    return peer;
  }

  /** The peer for a node id, dialed at the address the registry holds for it. */
  async peerForNode(nodeId: string): Promise<Peer> {
    const address = await this.#deps.addressOf(nodeId, 0);
    if (address === undefined) throw new MicroError('ACTOR_NOT_FOUND', `node ${nodeId} is not in the registry`);
    return this.peer(address, nodeId);
  }

  // ---- PeerOwner -------------------------------------------------------------------------------------

  route(peer: Peer, frame: Frame): void {
    this.#deps.router.route(peer, frame);
  }

  beforeReady(type: number): boolean {
    return this.#deps.router.beforeReady(type);
  }

  helloProof(nonce: Uint8Array): string | undefined {
    return this.#deps.identity?.prove({ nodeId: this.#deps.nodeId, address: this.#address, nonce });
  }

  checkHello(hello: HelloHeader): void {
    this.#deps.identity?.check(hello, hello.proof);
  }

  onHello(peer: Peer, hello: HelloHeader): void {
    if (peer.dialer) return;
    this.#verify(peer, hello).then(
      (id) => peer.verified(id),
      (err: unknown) => {
        this.log.debug({ claimed: hello.nodeId, reason: MicroError.from(err).detail }, 'caller identity not verified');
        peer.verified(undefined);
      },
    );
  }

  async #verify(peer: Peer, hello: HelloHeader): Promise<string | undefined> {
    if (hello.address === '') return undefined;
    // This node calling itself (a stream to a service it serves): the nonce is one of its own dialed connections'.
    if (hello.nodeId === this.#deps.nodeId) return this.#sentNonce(hello.address, hello.nonce) ? hello.nodeId : undefined;
    const limits = this.#deps.limits;
    const registered = await this.#deps.addressOf(hello.nodeId, limits.registryWaitMs, schemeOf(hello.address));
    if (registered !== hello.address) return undefined;
    const back = await this.peer(hello.address, hello.nodeId);
    const confirmed = await this.#askVerify(back, hello.nonce, limits.verifyTimeoutMs);
    if (!confirmed) {
      peer.protocolError(`claims node ${hello.nodeId} at ${hello.address}, which denies it`);
      return undefined;
    }
    return hello.nodeId;
  }

  #askVerify(peer: Peer, nonce: Uint8Array, timeoutMs: number): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const id = peer.nextStreamId();
      const timer = this.clock.setTimeout(() => {
        peer.close(id);
        reject(new MicroError('TIMEOUT', 'identity check timed out'));
      }, timeoutMs);
      const slot: StreamSlot = {
        onFrame: (frame) => {
          peer.close(id);
          this.clock.clearTimeout(timer);
          resolve(frame.type === FrameType.RESPONSE && frame.body[0] === 1);
        },
        onGone: (error) => {
          this.clock.clearTimeout(timer);
          reject(error);
        },
      };
      peer.open(id, slot);
      peer.send({ type: FrameType.VERIFY, flags: 0, streamId: id, header: encodeVerify({ nonce, verifier: ownAddressFor(this.#addresses, peer.conn.remoteAddress) }), body: NO_HEADER });
    });
  }

  /** Answers whether this node sent `nonce` in the HELLO of the connection it dialed to the verifier's address. */
  #answerVerify(peer: Peer, frame: Frame): void {
    const { nonce, verifier } = decodeVerify(frame.header);
    const yes = this.#sentNonce(verifier, nonce);
    peer.send({ type: FrameType.RESPONSE, flags: 0, streamId: frame.streamId, header: NO_HEADER, body: yes ? YES : NO });
  }

  /** Whether this node's dialed connection to `address` sent `nonce` in its HELLO. */
  #sentNonce(address: string, nonce: Uint8Array): boolean {
    const conn = this.#pool.peek(address);
    const mine = conn === undefined ? undefined : this.#dialed.get(conn);
    return mine !== undefined && Buffer.compare(mine.nonce, nonce) === 0;
  }

  onGoaway(_peer: Peer): void {}

  onClosed(peer: Peer, error: Error | undefined): void {
    this.#live.delete(peer);
    const nodeId = peer.verifiedId;
    if (error !== undefined) this.log.info({ peer: peer.name, reason: error.message }, 'connection closed');
    if (nodeId === undefined) return;
    const address = this.#dialedAt.get(peer.conn);
    if (peer.dialer && address !== undefined && !this.#closing) this.#redial(nodeId, address);
    for (const p of this.#live) if (p.verifiedId === nodeId) return;
    for (const listener of this.#gone) listener(nodeId);
  }

  #redial(nodeId: string, address: string): void {
    Promise.resolve(this.peer(address, nodeId)).then(
      () => {},
      (err: unknown) => {
        if (this.#closing) return;
        this.log.info({ node: nodeId, address, reason: MicroError.from(err).detail }, 'peer dropped and cannot be dialled again');
        for (const listener of this.#unreachable) listener(nodeId, address);
      },
    );
  }

  /** Tells every peer this node is going away (they stop sending it new calls). */
  goaway(): void {
    for (const peer of this.#live) {
      if (!peer.conn.closed) peer.conn.send({ type: FrameType.GOAWAY, flags: 0, streamId: 0, header: NO_HEADER, body: NO_HEADER });
    }
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#offVerify?.();
    await this.#pool.close();
    for (const peer of [...this.#live]) peer.conn.close();
  }
}
