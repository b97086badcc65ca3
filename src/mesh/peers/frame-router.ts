import type { Frame } from '../transport/transport.ts';
import type { Peer } from './peer.ts';

/** Handles frames of one type that open something on a connection (a request, a message, a publish…). */
export type FrameHandler = (peer: Peer, frame: Frame) => void;

export interface RouteOptions {
  /** Also handled while an accepted connection's identity is still being checked (handshake frames). @default false */
  beforeReady?: boolean;
}

/**
 * Frames are routed by type: each concern registers the types it handles (the server REQUEST, remote actors
 * MESSAGE, the broker PUBLISH, the directory VERIFY), so neither `Peer` nor the node learns about a new concern.
 * Exchange frames (responses, stream data, credit, cancel) go to the exchange by stream id and never come here.
 */
export class FrameRouter {
  readonly #handlers: Array<FrameHandler | undefined> = [];
  readonly #early = new Set<number>();
  /** Frames of a type nobody handles: dropped and counted. */
  unrouted = 0;

  /** Registers the handler of `type`; returns a function that removes it. */
  on(type: number, handler: FrameHandler, options: RouteOptions = {}): () => void {
    if (this.#handlers[type] !== undefined) throw new Error(`frame type ${type} already has a handler`);
    this.#handlers[type] = handler;
    if (options.beforeReady === true) this.#early.add(type);
    return () => {
      if (this.#handlers[type] === handler) {
        this.#handlers[type] = undefined;
        this.#early.delete(type);
      }
    };
  }

  beforeReady(type: number): boolean {
    return this.#early.has(type);
  }

  route(peer: Peer, frame: Frame): void {
    const handler = this.#handlers[frame.type];
    if (handler === undefined) {
      this.unrouted++;
      return;
    }
    handler(peer, frame);
  }
}
