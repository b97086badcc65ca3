import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Registry as MetricsRegistry } from 'prom-client';
import type { Logger } from '../../actors/index.ts';
import { MicroError } from '../errors.ts';
import type { NodeComponent } from '../node-tree.ts';
import type { DashboardFeed } from './dashboard/feed.ts';
import type { HealthChecks } from './health.ts';

/** What the operations port serves. */
export interface OpsServerDeps {
  /** `host:port` to bind; port 0 picks a free one. */
  address: string;
  health: HealthChecks;
  /** Served at /metrics; without it /metrics is 404. */
  metrics: MetricsRegistry | undefined;
  log: Logger;
  /** The dashboard: its page at `/`, its live feed as a WebSocket at `/live`. */
  dashboard?: { page: string; feed: DashboardFeed };
}

type Route = (res: ServerResponse) => Promise<void>;

function send(res: ServerResponse, status: number, body: string, contentType = 'application/json'): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

export function parseHostPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const port = Number(address.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new MicroError('BAD_REQUEST', `ops address must be host:port, got ${JSON.stringify(address)}`);
  }
  return { host: address.slice(0, colon).replace(/^\[|\]$/g, ''), port };
}

/**
 * The operations port: a small HTTP server (a NodeComponent) serving `GET /metrics` (Prometheus text),
 * `GET /health/live`, `GET /health/ready`, and the dashboard (`GET /`, WebSocket `/live`). Unknown paths are 404,
 * other methods 405.
 */
export class OpsServer implements NodeComponent {
  readonly name = 'ops';
  #server: Server | undefined;
  #address: string | undefined;
  readonly #routes: ReadonlyMap<string, Route>;

  constructor(readonly deps: OpsServerDeps) {
    const routes = new Map<string, Route>([
      ['/health/live', async (res) => send(res, 200, '{"status":"live"}')],
      [
        '/health/ready',
        async (res) => {
          const r = await deps.health.readiness();
          send(res, r.ready ? 200 : 503, JSON.stringify({ status: r.ready ? 'ready' : 'not ready', checks: r.checks }));
        },
      ],
    ]);
    const metrics = deps.metrics;
    if (metrics !== undefined) routes.set('/metrics', async (res) => send(res, 200, await metrics.metrics(), metrics.contentType));
    const page = deps.dashboard?.page;
    if (page !== undefined) routes.set('/', async (res) => send(res, 200, page, 'text/html; charset=utf-8'));
    this.#routes = routes;
  }

  /** The bound `host:port`, once started. */
  get address(): string | undefined {
    return this.#address;
  }

  async start(): Promise<void> {
    const { host, port } = parseHostPort(this.deps.address);
    const server = createServer((req, res) => this.#handle(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const feed = this.deps.dashboard?.feed;
      socket.on('error', () => socket.destroy());
      if (feed === undefined || (req.url ?? '').split('?')[0] !== '/live') return void socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      feed.upgrade(req, socket, head).catch((err: unknown) => {
        this.deps.log.warn({ err }, 'dashboard feed refused a watcher');
        socket.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const a = server.address() as AddressInfo;
    this.#address = `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
    this.#server = server;
    this.deps.log.info({ ops: this.#address }, 'operations port listening');
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.deps.dashboard?.feed.close();
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] as string;
    const route = this.#routes.get(path);
    if (route === undefined) return send(res, 404, JSON.stringify({ error: `no ${path} here` }));
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, JSON.stringify({ error: `${req.method} not allowed on ${path}` }));
    }
    route(res).catch((err: unknown) => {
      this.deps.log.warn({ path, err }, 'operations request failed');
      if (!res.headersSent) send(res, 500, JSON.stringify({ error: 'internal error' }));
      else res.destroy();
    });
  }
}
