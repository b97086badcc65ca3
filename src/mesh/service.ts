import type { Logger } from '../actors/index.ts';
import type { ServiceSubscription } from './broker/api.ts';
import { MicroError } from './errors.ts';
import type { Metadata } from './metadata.ts';
import type { Value } from './registry/registry.ts';
import type { Account } from './auth/auth.ts';
import type { PeerCertificate } from './transport/transport.ts';

/** What a handler knows about the call it serves. */
export interface CallContext {
  readonly service: string;
  readonly endpoint: string;
  readonly metadata: Metadata;
  /** Aborted when the caller's deadline passes, the caller cancels, or the node stops. */
  readonly signal: AbortSignal;
  /** Epoch ms by which the caller wants the answer. */
  readonly deadline: number;
  /** Id of the calling node. */
  readonly caller: string;
  /** The calling node's TLS certificate, verified by this node's CA (mutual TLS only). */
  readonly certificate?: PeerCertificate | undefined;
  /** With auth on: the caller's verified account (undefined for a public endpoint called without a token). */
  readonly account?: Account | undefined;
  readonly log: Logger;
}

/** The server's side of a bidirectional stream. */
export interface ServerStream<Req, Res> extends AsyncIterable<Req> {
  /** Sends one message; waits while the client has granted no credit (flow control). */
  send(message: Res): Promise<void>;
  /** True once the client has finished sending. */
  readonly receiveDone: boolean;
}

export type UnaryHandler<Req = unknown, Res = unknown> = (request: Req, ctx: CallContext) => Res | Promise<Res>;
export type StreamHandler<Req = unknown, Res = unknown> = (stream: ServerStream<Req, Res>, ctx: CallContext) => void | Promise<void>;

export interface UnaryEndpoint<Req = unknown, Res = unknown> {
  handler: UnaryHandler<Req, Res>;
  /** Safe to run twice: the client may retry it on another node after a failure. @default false */
  idempotent?: boolean;
  /** Callable without a token when auth is on. @default false */
  public?: boolean;
  request?: Value;
  response?: Value;
  /** Protobuf message types, when called with application/protobuf. */
  requestType?: string;
  responseType?: string;
}

export interface StreamEndpoint<Req = unknown, Res = unknown> {
  stream: StreamHandler<Req, Res>;
  /** Callable without a token when auth is on. @default false */
  public?: boolean;
  request?: Value;
  response?: Value;
  requestType?: string;
  responseType?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: endpoint maps hold handlers of any request/response types
export type AnyEndpoint = UnaryHandler<any, any> | UnaryEndpoint<any, any> | StreamEndpoint<any, any>;

export interface ServiceDefinition<E extends Record<string, AnyEndpoint> = Record<string, AnyEndpoint>> {
  name: string;
  /** @default 'latest' */
  version?: string;
  metadata?: Record<string, string>;
  /** Handlers named `Type.Method`, go-micro style: `'Say.Hello': (req, ctx) => …`. */
  endpoints: E;
  /**
   * Subscriptions served with the service, by topic pattern: a handler, or `{ handler, queue, maxAttempts }`.
   * @default {}
   */
  subscriptions?: Record<string, ServiceSubscription>;
}

/** A service definition with its endpoints normalised. */
export interface Service<E extends Record<string, AnyEndpoint> = Record<string, AnyEndpoint>> {
  readonly name: string;
  readonly version: string;
  readonly metadata: Record<string, string>;
  readonly endpoints: ReadonlyMap<string, ResolvedEndpoint>;
  /** Subscriptions served with it, by topic pattern. */
  readonly subscriptions?: Readonly<Record<string, ServiceSubscription>>;
  /** Type-only: the endpoint map, for typed clients. */
  readonly __endpoints?: E;
}

export type ResolvedEndpoint =
  | { kind: 'unary'; name: string; handler: UnaryHandler; idempotent: boolean; public?: boolean; request?: Value; response?: Value; requestType?: string; responseType?: string }
  | { kind: 'stream'; name: string; handler: StreamHandler; public?: boolean; request?: Value; response?: Value; requestType?: string; responseType?: string };

const ENDPOINT_NAME = /^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+$/;
const SERVICE_NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/i;

/**
 * Defines a service: a name, a version and endpoints named `Type.Method`.
 * @example
 * const greeter = defineService({
 *   name: 'greeter',
 *   endpoints: {
 *     'Say.Hello': (req: { name: string }) => ({ msg: `Hello ${req.name}` }),
 *     'Say.Stream': { stream: async (s) => { for await (const m of s) await s.send(m); } },
 *   },
 * });
 */
export function defineService<E extends Record<string, AnyEndpoint>>(definition: ServiceDefinition<E>): Service<E> {
  if (!SERVICE_NAME.test(definition.name)) throw new MicroError('BAD_REQUEST', `invalid service name ${JSON.stringify(definition.name)}`);
  const endpoints = new Map<string, ResolvedEndpoint>();
  for (const [name, def] of Object.entries(definition.endpoints)) {
    if (!ENDPOINT_NAME.test(name)) throw new MicroError('BAD_REQUEST', `endpoint ${JSON.stringify(name)} of ${definition.name} must be named Type.Method`);
    endpoints.set(name, resolve(name, def));
  }
  const subscriptions = { ...definition.subscriptions };
  return { name: definition.name, version: definition.version ?? 'latest', metadata: { ...definition.metadata }, endpoints, subscriptions };
}

function resolve(name: string, def: AnyEndpoint): ResolvedEndpoint {
  if (typeof def === 'function') return { kind: 'unary', name, handler: def, idempotent: false };
  if ('stream' in def) return { kind: 'stream', name, handler: def.stream, public: def.public === true, request: def.request, response: def.response, requestType: def.requestType, responseType: def.responseType };
  return {
    kind: 'unary',
    name,
    handler: def.handler,
    idempotent: def.idempotent ?? false,
    public: def.public === true,
    request: def.request,
    response: def.response,
    requestType: def.requestType,
    responseType: def.responseType,
  };
}

/** Request and response types of an endpoint, for typed clients. */
export type RequestOf<T> = T extends (req: infer Q, ctx: CallContext) => unknown
  ? Q
  : T extends { handler: (req: infer Q, ctx: CallContext) => unknown }
    ? Q
    : T extends { stream: (s: ServerStream<infer Q, infer _R>, ctx: CallContext) => unknown }
      ? Q
      : unknown;
export type ResponseOf<T> = T extends (req: never, ctx: CallContext) => infer R
  ? Awaited<R>
  : T extends { handler: (req: never, ctx: CallContext) => infer R }
    ? Awaited<R>
    : T extends { stream: (s: ServerStream<infer _Q, infer R>, ctx: CallContext) => unknown }
      ? R
      : unknown;
