/**
 * The auth middleware: outbound, it attaches this node's token (`authorization: Bearer …`) to calls, streams, actor
 * messages and publishes that carry none; inbound, it verifies the token of every call, stream, actor message and
 * delivery and applies the rules. Public endpoints pass without a token. Over mutual TLS, a call without a token is
 * made by the account its verified certificate names.
 */
import { MicroError } from '../errors.ts';
import { type Metadata, mergeMetadata } from '../metadata.ts';
import type { Middleware } from '../middleware/middleware.ts';
import type { CallContext } from '../service.ts';
import type { PeerCertificate } from '../transport/transport.ts';
import type { Account, Auth, Resource } from './auth.ts';

/** The metadata key a token rides in, go-micro's `Authorization: Bearer <jwt>`. */
export const AUTHORIZATION = 'authorization';
const BEARER = 'Bearer ';
/** Where the replies to asks arrive (the actor kernel's temporary endpoints). */
const REPLY_PREFIX = '/temp/';

export interface AuthMiddlewareOptions {
  /** Whether a served endpoint was declared public (`{ public: true }` in defineService). */
  isPublic?(service: string, endpoint: string): boolean;
}

/** The token in metadata: undefined when there is none; UNAUTHORIZED when the header is not `Bearer <token>`. */
export function bearerToken(metadata: Metadata): string | undefined {
  const header = metadata[AUTHORIZATION] ?? metadata.Authorization;
  return header === undefined ? undefined : tokenIn(header);
}

function tokenIn(header: string): string {
  if (!header.startsWith(BEARER) || header.length === BEARER.length) throw new MicroError('UNAUTHORIZED', 'malformed authorization header: want "Bearer <token>"');
  return header.slice(BEARER.length);
}

export function createAuthMiddleware(auth: Auth, options: AuthMiddlewareOptions = {}): Middleware {
  // Served endpoints only (the server answers 404 before middleware for others), so this stays as small as they are.
  const publicCache = new Map<string, Map<string, boolean>>();
  const isPublic = (service: string, endpoint: string): boolean => {
    if (options.isPublic === undefined) return false;
    let endpoints = publicCache.get(service);
    if (endpoints === undefined) publicCache.set(service, (endpoints = new Map()));
    let known = endpoints.get(endpoint);
    if (known === undefined) endpoints.set(endpoint, (known = options.isPublic(service, endpoint)));
    return known;
  };
  // The header for the current token, made once per token.
  let header: { token: string; metadata: Metadata } | undefined;
  const attach = (metadata: Metadata): Metadata => {
    const token = auth.token();
    if (token === undefined || metadata[AUTHORIZATION] !== undefined || metadata.Authorization !== undefined) return metadata;
    if (header?.token !== token) header = { token, metadata: Object.freeze({ [AUTHORIZATION]: BEARER + token }) };
    // Alone, the header is the same frozen object call after call, which the request encoder packs once.
    return isEmpty(metadata) ? header.metadata : mergeMetadata(metadata, header.metadata);
  };
  // A connection's decoder hands the same header string call after call: its token is found by identity.
  let lastHeader: string | undefined;
  let lastToken: string | undefined;
  const tokenOf = (metadata: Metadata): string | undefined => {
    const header = metadata[AUTHORIZATION] ?? metadata.Authorization;
    if (header === undefined) return undefined;
    if (header !== lastHeader) {
      lastToken = tokenIn(header);
      lastHeader = header;
    }
    return lastToken;
  };
  const check = (metadata: Metadata, resource: Resource): Account | undefined => {
    const token = tokenOf(metadata);
    const account = token === undefined ? undefined : auth.verify(token).account;
    auth.authorize(account, resource);
    return account;
  };
  const requireAccount = (metadata: Metadata, to: string): void => {
    const token = tokenOf(metadata);
    if (token === undefined) throw new MicroError('UNAUTHORIZED', `a token is required for actor ${to}`);
    auth.verify(token);
  };
  const checkCall = (ctx: CallContext): void => {
    if (isPublic(ctx.service, ctx.endpoint)) return;
    const resource = { type: 'service', name: ctx.service, endpoint: ctx.endpoint };
    const token = tokenOf(callerMetadata(ctx));
    const account = token !== undefined ? auth.verify(token).account : ctx.certificate === undefined ? undefined : certificateAccount(ctx.certificate);
    auth.authorize(account, resource);
    if (account !== undefined) (ctx as { account?: Account }).account = account;
  };
  return {
    name: 'auth',
    call: (next) => (call) => {
      call.metadata = attach(call.metadata);
      return next(call);
    },
    stream: (next) => (call) => {
      call.metadata = attach(call.metadata);
      return next(call);
    },
    send: (next) => (message) => {
      message.metadata = attach(message.metadata);
      next(message);
    },
    publish: (next) => (publish) => {
      publish.metadata = attach(publish.metadata);
      return next(publish);
    },
    handler: (next) => (request, ctx) => {
      checkCall(ctx);
      return next(request, ctx);
    },
    serveStream: (next) => (stream, ctx) => {
      checkCall(ctx);
      return next(stream, ctx);
    },
    receive: (next) => (message) => {
      // A reply to an ask reaches an unguessable address from the node asked; it needs a valid token, not a rule.
      if (message.to.startsWith(REPLY_PREFIX)) requireAccount(message.metadata, message.to);
      else check(message.metadata, { type: 'actor', name: message.to, endpoint: messageType(message.message) });
      next(message);
    },
    subscribe: (next) => async (delivery) => {
      check(delivery.metadata, { type: 'topic', name: delivery.topic, endpoint: 'publish' });
      return next(delivery);
    },
  };
}

function isEmpty(metadata: Metadata): boolean {
  for (const _ in metadata) return false;
  return true;
}

/**
 * The metadata the caller sent: a served call keeps it as `rawMetadata`, and reading that instead of `metadata`
 * spares the merge of the caller's node id that `metadata` makes on first use.
 */
function callerMetadata(ctx: CallContext): Metadata {
  return (ctx as { rawMetadata?: Metadata }).rawMetadata ?? ctx.metadata;
}

/** The account a verified TLS certificate names: the service in its CN, its scopes in its OUs. */
function certificateAccount(cert: PeerCertificate): Account {
  return { id: cert.name, type: 'service', scopes: cert.units, metadata: { certificate: cert.fingerprint } };
}

/** An actor message's `type` (the usual discriminant), or `*`. */
function messageType(message: unknown): string {
  const type = (message as { type?: unknown } | null)?.type;
  return typeof type === 'string' && type.length <= 200 ? type : '*';
}
