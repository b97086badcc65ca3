/** Options of the API gateway (`createApiGateway`, `micro api`). */
import { type Tracer, trace } from '@opentelemetry/api';

/** Which browser origins may call the gateway, and how (CORS). */
export interface CorsOptions {
  /** Allowed origins: exact values such as `https://app.example`, or `*` for any. @default [] (no CORS headers) */
  origins: readonly string[];
  /** Request headers a browser may send. @default ['content-type', 'authorization', 'micro-service', 'micro-endpoint', 'traceparent', 'tracestate', 'baggage'] */
  headers?: readonly string[];
  /** Whether cookies and authorization travel with cross-origin requests. @default false */
  credentials?: boolean;
  /** How long a browser may cache a preflight answer, in seconds. @default 600 */
  maxAgeSeconds?: number;
}

export interface ApiGatewayOptions {
  /** `host:port` to listen on; port 0 picks a free one. Loopback by default, so nothing is exposed by accident. @default '127.0.0.1:8080' */
  address?: string;
  /** Largest request body accepted, in bytes; a larger one is answered 413. @default 1048576 (1 MiB) */
  maxBodyBytes?: number;
  /** Deadline of each call through the gateway, unless the request's `Timeout` header asks for less. @default 10000 */
  timeoutMs?: number;
  /** Deadline of a WebSocket stream as a whole, unless its `Timeout` header asks for less. @default 300000 */
  streamTimeoutMs?: number;
  /** Time a client gets to send the whole request (headers and body); a trickled request is answered 408 and closed. @default 10000 */
  requestTimeoutMs?: number;
  /** Browser access; off unless origins are listed. @default { origins: [] } */
  cors?: CorsOptions;
  /** Serve the Model Context Protocol at `/mcp`, each endpoint a tool. @default true */
  mcp?: boolean;
  /** Serve streaming endpoints over WebSocket (an upgrade on the endpoint's path). @default true */
  websocket?: boolean;
  /** Largest WebSocket message accepted, in bytes. @default maxBodyBytes */
  maxMessageBytes?: number;
  /** Bytes queued towards a WebSocket client before the gateway stops reading the service's replies. @default 1048576 */
  wsHighWaterBytes?: number;
  /**
   * A SERVER span per HTTP call (`POST /<service>/<endpoint>`, HTTP semantic conventions), parent of the node's
   * CLIENT span: `true` for the globally registered tracer, or `{ tracer }`. Off, the trace still continues from the
   * caller's `traceparent`. @default false
   */
  tracing?: boolean | { tracer: Tracer };
}

export type ResolvedApiOptions = Required<Omit<ApiGatewayOptions, 'cors' | 'tracing'>> & { cors: Required<CorsOptions>; tracer: Tracer | undefined };

export const DEFAULT_CORS_HEADERS = ['content-type', 'authorization', 'micro-service', 'micro-endpoint', 'traceparent', 'tracestate', 'baggage'] as const;

export function defaultApiGatewayOptions(): ResolvedApiOptions {
  return {
    address: '127.0.0.1:8080',
    maxBodyBytes: 1024 * 1024,
    timeoutMs: 10_000,
    streamTimeoutMs: 300_000,
    requestTimeoutMs: 10_000,
    cors: { origins: [], headers: DEFAULT_CORS_HEADERS, credentials: false, maxAgeSeconds: 600 },
    mcp: true,
    websocket: true,
    maxMessageBytes: 1024 * 1024,
    wsHighWaterBytes: 1024 * 1024,
    tracer: undefined,
  };
}

/** Options merged over the defaults; `maxMessageBytes` follows `maxBodyBytes` unless given. */
export function resolveApiOptions(options: ApiGatewayOptions): ResolvedApiOptions {
  const d = defaultApiGatewayOptions();
  const { tracing, ...rest } = options;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Omit<ApiGatewayOptions, 'tracing'>;
  return {
    ...d,
    ...defined,
    tracer: tracing === true ? trace.getTracer('micromesh') : tracing === false || tracing === undefined ? undefined : tracing.tracer,
    maxMessageBytes: options.maxMessageBytes ?? options.maxBodyBytes ?? d.maxMessageBytes,
    cors: { ...d.cors, ...options.cors },
  };
}
