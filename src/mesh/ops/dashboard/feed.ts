/**
 * The dashboard's live feed: while a browser watches (a WebSocket on the operations port's `/live`), the node asks
 * every node of the mesh for its report (`Node.Inspect`) once per interval and sends the set to each watcher as one
 * JSON message. Nothing is polled while no one watches. Bounded: at most `maxWatchers` sockets, `maxNodes` nodes per
 * tick, and nothing read from a watcher beyond a tiny frame limit. A browser page from another origin cannot open
 * the feed (its Origin must be the page's own host).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Clock, Logger } from '../../../actors/index.ts';
import { NODE_SERVICE } from '../../client/resolver.ts';
import { MicroError } from '../../errors.ts';
import type { Registry } from '../../registry/registry.ts';
import type { NodeReport } from '../node-report.ts';

export interface DashboardFeedOptions {
  /** How often the mesh is asked while someone watches. @default 1000 */
  intervalMs?: number;
  /** Watchers at once; more are refused. @default 16 */
  maxWatchers?: number;
  /** Nodes asked per tick. @default 64 */
  maxNodes?: number;
}

export interface FeedSources {
  registry: Registry;
  clock: Clock;
  log: Logger;
  /** Asks one node for its report. */
  inspect(id: string, timeoutMs: number): Promise<NodeReport>;
}

/** One message to the page: every node's report, or why it did not answer. */
export interface FeedMessage {
  readonly time: number;
  readonly nodes: ReadonlyArray<{ readonly id: string; readonly address: string; readonly report?: NodeReport; readonly error?: string }>;
}

/** True when a browser's Origin header names the host it asked (a page served by this port). */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export class DashboardFeed {
  readonly #o: Required<DashboardFeedOptions>;
  readonly #watchers = new Set<WebSocket>();
  #wss: WebSocketServer | undefined;
  #timer: unknown;
  #ticking = false;

  constructor(
    readonly sources: FeedSources,
    options: DashboardFeedOptions = {},
  ) {
    this.#o = { intervalMs: 1000, maxWatchers: 16, maxNodes: 64, ...options };
  }

  get watchers(): number {
    return this.#watchers.size;
  }

  /** Takes an HTTP upgrade to `/live`; refuses other origins and watchers past the limit. */
  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (!sameOrigin(req) || this.#watchers.size >= this.#o.maxWatchers) {
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n');
      return;
    }
    if (this.#wss === undefined) {
      const { WebSocketServer } = await import('ws');
      this.#wss = new WebSocketServer({ noServer: true, maxPayload: 1024, perMessageDeflate: false });
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#watch(ws));
  }

  #watch(ws: WebSocket): void {
    this.#watchers.add(ws);
    ws.on('message', () => {});
    ws.on('error', () => ws.terminate());
    ws.on('close', () => this.#watchers.delete(ws));
    if (!this.#ticking) void this.#tick();
  }

  async #tick(): Promise<void> {
    this.#ticking = true;
    try {
      const message = JSON.stringify(await this.snapshot());
      for (const ws of this.#watchers) {
        // A watcher that does not read is dropped rather than buffered without bound.
        if (ws.bufferedAmount > 4 * 1024 * 1024) ws.terminate();
        else ws.send(message);
      }
    } catch (err) {
      this.sources.log.warn({ err }, 'dashboard update failed');
    }
    if (this.#watchers.size === 0) {
      this.#ticking = false;
      return;
    }
    this.#timer = this.sources.clock.setTimeout(() => void this.#tick(), this.#o.intervalMs);
  }

  /** Every node's report now (each asked with the interval as its deadline). */
  async snapshot(): Promise<FeedMessage> {
    const versions = await this.sources.registry.getService(NODE_SERVICE).catch(() => []);
    const nodes = new Map(versions.flatMap((v) => v.nodes).map((n) => [n.id, n.address]));
    const ids = [...nodes.keys()].sort().slice(0, this.#o.maxNodes);
    const answers = await Promise.all(
      ids.map(async (id) => {
        const address = nodes.get(id) as string;
        try {
          return { id, address, report: await this.sources.inspect(id, Math.max(250, this.#o.intervalMs)) };
        } catch (err) {
          const e = MicroError.from(err);
          return { id, address, error: `${e.reason}: ${e.detail}` };
        }
      }),
    );
    return { time: Date.now(), nodes: answers };
  }

  /** Drops every watcher; a later upgrade starts afresh. */
  close(): void {
    this.sources.clock.clearTimeout(this.#timer);
    for (const ws of this.#watchers) ws.terminate();
    this.#watchers.clear();
    this.#wss?.close();
    this.#wss = undefined;
  }
}
