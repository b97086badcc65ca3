/**
 * The API gateway: HTTP in front of a node's client. `POST /<service>/<Type.Method>` (and go-micro's paths and
 * headers) calls an endpoint with a JSON body; a WebSocket upgrade on a streaming endpoint's path opens a stream;
 * `/mcp` serves the Model Context Protocol; `GET /` lists what is reachable. Caller mistakes are 4xx, never 500.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { MicroError } from '../errors.ts';
import type { MeshNode } from '../mesh-node.ts';
import { parseHostPort } from '../ops/ops-server.ts';
import { sendError, sendJson } from './body.ts';
import { catalog } from './catalog.ts';
import { answerPreflight, applyCors } from './cors.ts';
import { type HttpCallDeps, serveCall } from './http-call.ts';
import { createMcpHandler, type McpHandler } from './mcp.ts';
import { type ApiGatewayOptions, type ResolvedApiOptions, resolveApiOptions } from './options.ts';
import { pathSegments, targetOf } from './route.ts';
import { createStreamUpgrader, type StreamUpgrader } from './websocket.ts';

const ID = 'micro.api';

export interface ApiGateway {
  /** The bound `host:port`. */
  readonly address: string;
  /** `http://host:port`. */
  readonly url: string;
  /** Stops listening, ends open WebSocket streams and closes every connection. */
  close(): Promise<void>;
}

class HttpGateway implements ApiGateway {
  #address = '';
  readonly #server: Server;
  readonly #mcp: McpHandler | undefined;
  readonly #ws: StreamUpgrader | undefined;
  readonly #calls: HttpCallDeps;

  constructor(
    readonly node: MeshNode,
    readonly options: ResolvedApiOptions,
  ) {
    const o = options;
    this.#calls = { client: node.client, options: o, address: () => this.#address };
    this.#server = createServer({ requestTimeout: o.requestTimeoutMs, headersTimeout: o.requestTimeoutMs, connectionsCheckingInterval: Math.min(1000, o.requestTimeoutMs) }, (req, res) => this.#handle(req, res));
    this.#mcp = o.mcp ? createMcpHandler({ node, options: o }) : undefined;
    this.#ws = o.websocket ? createStreamUpgrader({ client: node.client, options: o, log: node.log }) : undefined;
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade(req, socket, head));
    this.#server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket));
  }

  get address(): string {
    return this.#address;
  }

  get url(): string {
    return `http://${this.#address}`;
  }

  async listen(): Promise<void> {
    let host: string;
    let port: number;
    try {
      ({ host, port } = parseHostPort(this.options.address));
    } catch {
      throw new MicroError('BAD_REQUEST', `the api address must be host:port, not ${JSON.stringify(this.options.address)}`, { id: ID });
    }
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const a = this.#server.address() as AddressInfo;
    this.#address = `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  async close(): Promise<void> {
    this.#ws?.close();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const corsAllowed = req.headers.origin === undefined ? false : applyCors(this.options.cors, req, res);
    if (method === 'OPTIONS') return answerPreflight(this.options.cors, corsAllowed, res);
    let segments: string[];
    try {
      segments = pathSegments(url);
    } catch (err) {
      return sendError(res, err);
    }
    if (segments[0] === 'mcp' && segments.length === 1 && this.#mcp !== undefined) return this.#mcp.handle(req, res);
    const target = targetOf(segments, req.headers);
    if (segments.length === 1 && segments[0] === 'rpc' && req.headers['micro-endpoint'] === undefined && req.headers['x-micro-endpoint'] === undefined) {
      if (method !== 'POST') return sendError(res, new MicroError('METHOD_NOT_ALLOWED', `${method} /rpc: call with POST`, { id: ID }), false, { allow: 'POST, OPTIONS' });
      return void serveCall(this.#calls, undefined, req, res).catch((err: unknown) => sendError(res, err));
    }
    if (target === undefined) {
      if (segments.length === 0) return this.#index(method, res);
      return sendError(res, new MicroError('ENDPOINT_NOT_FOUND', `${url} names a service but no endpoint: POST /${segments[0]}/<Type.Method>`, { id: ID }));
    }
    if (method !== 'POST') return sendError(res, new MicroError('METHOD_NOT_ALLOWED', `${method} ${url}: call endpoints with POST`, { id: ID }), false, { allow: 'POST, OPTIONS' });
    serveCall(this.#calls, target, req, res).catch((err: unknown) => sendError(res, err));
  }

  #index(method: string, res: ServerResponse): void {
    if (method !== 'GET' && method !== 'HEAD') return sendError(res, new MicroError('METHOD_NOT_ALLOWED', `${method} /: list services with GET`, { id: ID }), false, { allow: 'GET, HEAD, OPTIONS' });
    catalog(this.node.registry).then(
      (services) => sendJson(res, 200, JSON.stringify({ services })),
      (err: unknown) => sendError(res, err),
    );
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.#ws === undefined) return rejectUpgrade(socket, new MicroError('NOT_FOUND', 'this gateway serves no WebSocket streams', { id: ID }));
    let target: ReturnType<typeof targetOf>;
    try {
      target = targetOf(pathSegments(req.url ?? '/'), req.headers);
    } catch (err) {
      return rejectUpgrade(socket, err);
    }
    if (target === undefined) return rejectUpgrade(socket, new MicroError('ENDPOINT_NOT_FOUND', 'a stream is opened on /<service>/<Type.Method>', { id: ID }));
    this.#ws.upgrade(target, req, socket, head).catch((err: unknown) => rejectUpgrade(socket, err));
  }
}

/**
 * What the HTTP parser refuses, answered before any handler runs: a request not received within the request
 * timeout (a trickled header or body) is 408, oversized headers 431, anything else unparsable 400.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) return void socket.destroy();
  const e =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new MicroError('TIMEOUT', 'the request did not arrive within the request timeout', { id: ID })
      : new MicroError('BAD_REQUEST', `the request could not be parsed (${err.code ?? err.message})`, { id: ID });
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : `${e.code} ${e.status}`;
  const body = JSON.stringify(e.toJSON());
  socket.end(`HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/** Answers a refused WebSocket upgrade with the error's status and JSON, then closes the socket. */
function rejectUpgrade(socket: Duplex, err: unknown): void {
  if (!socket.writable) return void socket.destroy();
  const e = MicroError.from(err, ID);
  const body = JSON.stringify(e.toJSON());
  socket.end(`HTTP/1.1 ${e.code} ${e.status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/**
 * Starts a gateway in front of `node`: its calls, streams and tools go through the node's client, so its
 * registry, selector, middleware and tracing apply.
 * @example
 * const node = await createNode();
 * const api = await createApiGateway(node, { address: '127.0.0.1:8080' });
 * // curl -d '{"name":"Ada"}' http://127.0.0.1:8080/greeter/Say.Hello
 */
export async function createApiGateway(node: MeshNode, options: ApiGatewayOptions = {}): Promise<ApiGateway> {
  const gateway = new HttpGateway(node, resolveApiOptions(options));
  await gateway.listen();
  node.log.info({ api: gateway.address }, 'api gateway listening');
  return gateway;
}
