import { randomBytes } from 'node:crypto';
import { encodeHello, encodeRequest, NO_HEADER, PROTOCOL_VERSION } from '../../src/mesh/protocol.ts';
import type { Metadata } from '../../src/mesh/metadata.ts';
import { type Connection, type Frame, FrameType, type Transport } from '../../src/mesh/transport/transport.ts';
import { deferred } from './wait.ts';

/**
 * A hand-driven connection to a node, as an attacker or a broken peer would hold one: it sends whatever frames it
 * is told to (HELLO or not) and records every frame it receives (copied) and how the connection ended.
 */
export class RawPeer {
  readonly frames: Frame[] = [];
  readonly closed = deferred<Error | undefined>();
  isClosed = false;
  #waiters: Array<() => void> = [];

  constructor(readonly conn: Connection) {
    conn.setHandler({
      onFrame: (f) => {
        this.frames.push({ ...f, header: f.header.slice(), body: f.body.slice() });
        for (const w of this.#waiters.splice(0)) w();
      },
      onClose: (err) => {
        this.isClosed = true;
        this.closed.resolve(err);
        for (const w of this.#waiters.splice(0)) w();
      },
    });
  }

  static async dial(transport: Transport, address: string): Promise<RawPeer> {
    return new RawPeer(await transport.dial(address));
  }

  /** Sends a HELLO; `proof` is the signed identity a node with auth on sends. */
  hello(nodeId = 'raw', address = '', nonce: Uint8Array = randomBytes(16), proof?: string): void {
    this.send({ type: FrameType.HELLO, flags: 0, streamId: 0, header: encodeHello({ version: PROTOCOL_VERSION, nodeId, address, nonce, proof }), body: NO_HEADER });
  }

  send(frame: Frame): void {
    if (!this.conn.closed) this.conn.send(frame);
  }

  request(streamId: number, service: string, endpoint: string, body: unknown, options: { stream?: boolean; timeoutMs?: number; metadata?: Metadata } = {}): void {
    const header = encodeRequest({ service, endpoint, contentType: 'application/json', timeoutMs: options.timeoutMs ?? 5000, metadata: options.metadata ?? {} });
    this.send({ type: FrameType.REQUEST, flags: options.stream ? 1 : 0, streamId, header, body: new TextEncoder().encode(JSON.stringify(body)) });
  }

  /** Frames received so far of a type (and stream id). */
  of(type: FrameType, streamId?: number): Frame[] {
    return this.frames.filter((f) => f.type === type && (streamId === undefined || f.streamId === streamId));
  }

  /** Waits until `predicate` holds over what was received, or the connection closed, or `timeoutMs` passed. */
  async until(predicate: () => boolean, timeoutMs = 5000): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (!predicate()) {
      if (this.isClosed || performance.now() > deadline) return predicate();
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 20).unref();
      });
    }
    return true;
  }

  close(): void {
    this.conn.close();
  }
}
