/**
 * Middleware: go-micro's wrappers and Moleculer's middlewares in one shape. A middleware is a named object with
 * optional hooks, each `(next) => (input) => …`, for the points every call, stream and message passes through.
 * Chains are composed once (when a node starts or a service is served), so a node without middleware pays nothing.
 *
 * Outbound: `call` wraps a whole unary call (its retries included), `attempt` each node tried (unary and stream
 * opens), `stream` the opening of a client stream, `send` a remote actor message. Inbound: `handler` wraps a unary
 * handler, `serveStream` a stream handler, `receive` an actor message from another node. `publish` and `subscribe`
 * wrap messaging. A hook that throws a MicroError (or returns a rejected promise with one) ends that call with it:
 * on the inbound side the caller receives it.
 */
import type { ClientStream } from '../client/client-stream.ts';
import type { Metadata } from '../metadata.ts';
import type { RegistryNode } from '../registry/registry.ts';
import type { CallContext, ServerStream } from '../service.ts';

/** An own property every outbound call carries, so a copy made by middleware (`next({ ...call, metadata })`) still leads to it. */
export const CALL_SELF: unique symbol = Symbol('micromesh.call');

/**
 * The call a hook's input stands for: the input itself, or the call it was copied from, taking the copy's metadata
 * (the one field middleware may change).
 */
export function originalCall<T extends OutboundCall>(call: OutboundCall): T {
  const original = (call as { [CALL_SELF]?: T })[CALL_SELF] ?? (call as T);
  if (original !== call) original.metadata = call.metadata;
  return original;
}

/** A unary call or stream on its way out, as the `call`, `stream` and `attempt` hooks see it. */
export interface OutboundCall {
  readonly kind: 'unary' | 'stream';
  readonly service: string;
  readonly endpoint: string;
  /** The request value (unary calls); streams send theirs later. */
  readonly request: unknown;
  /** Headers sent with the call; a hook may replace them (e.g. to add a token or a traceparent). */
  metadata: Metadata;
  /** Epoch ms by which the whole call must be answered. */
  readonly deadline: number;
}

/** One try of a call on one node. */
export interface Attempt {
  readonly call: OutboundCall;
  readonly node: RegistryNode;
  /** 1 for the first node tried. */
  readonly number: number;
  /** True when the node is this node itself: the call skips the transport and the codec. */
  readonly local: boolean;
}

/** A message to an actor on another node. */
export interface OutboundMessage {
  /** The target's address. */
  readonly to: string;
  readonly message: unknown;
  metadata: Metadata;
}

/** A message from another node to an actor of this node. */
export interface InboundMessage {
  /** The target's path on this node. */
  readonly to: string;
  readonly message: unknown;
  readonly metadata: Metadata;
  /** The sending node's verified id, or 'unverified'. */
  readonly caller: string;
}

/** A publish on its way out (messaging). */
export interface OutboundPublish {
  readonly topic: string;
  /** The messaging system that carries it (`nats`, `redis`…), for traces. @default 'micromesh' */
  readonly system?: string;
  readonly message: unknown;
  metadata: Metadata;
}

/** A message being delivered to a subscriber (messaging). */
export interface InboundDelivery {
  readonly topic: string;
  /** The messaging system that carried it, for traces. @default 'micromesh' */
  readonly system?: string;
  readonly message: unknown;
  readonly metadata: Metadata;
}

export type CallNext = (call: OutboundCall) => Promise<unknown>;
export type AttemptNext = (attempt: Attempt) => Promise<unknown>;
export type StreamNext = (call: OutboundCall) => Promise<ClientStream<unknown, unknown>>;
export type HandlerNext = (request: unknown, ctx: CallContext) => unknown;
export type ServeStreamNext = (stream: ServerStream<unknown, unknown>, ctx: CallContext) => void | Promise<void>;
export type SendNext = (message: OutboundMessage) => void;
export type ReceiveNext = (message: InboundMessage) => void;
export type PublishNext = (publish: OutboundPublish) => Promise<void>;
export type SubscribeNext = (delivery: InboundDelivery) => Promise<void>;

/** The hooks of a middleware, by the point they wrap. */
export interface MiddlewareHooks {
  call: CallNext;
  attempt: AttemptNext;
  stream: StreamNext;
  handler: HandlerNext;
  serveStream: ServeStreamNext;
  send: SendNext;
  receive: ReceiveNext;
  publish: PublishNext;
  subscribe: SubscribeNext;
}
export type HookName = keyof MiddlewareHooks;

/**
 * A named set of hooks. Every hook is optional.
 * @example
 * const timing: Middleware = {
 *   name: 'timing',
 *   call: (next) => async (call) => {
 *     const t = performance.now();
 *     try { return await next(call); } finally { console.log(call.service, call.endpoint, performance.now() - t); }
 *   },
 *   handler: (next) => (req, ctx) => {
 *     if (ctx.metadata['x-deny'] === 'yes') throw new MicroError('FORBIDDEN', 'denied');
 *     return next(req, ctx);
 *   },
 * };
 */
export type Middleware = { readonly name: string } & { readonly [H in HookName]?: (next: MiddlewareHooks[H]) => MiddlewareHooks[H] };

/**
 * The chain of `hook` around `terminal`: the first middleware in the list is the outermost. Returns `terminal`
 * itself when no middleware has the hook, so an empty chain costs nothing.
 */
export function compose<H extends HookName>(middleware: readonly Middleware[], hook: H, terminal: MiddlewareHooks[H]): MiddlewareHooks[H] {
  let fn = terminal;
  for (let i = middleware.length - 1; i >= 0; i--) {
    const wrap = middleware[i]?.[hook] as ((next: MiddlewareHooks[H]) => MiddlewareHooks[H]) | undefined;
    if (wrap !== undefined) fn = wrap(fn);
  }
  return fn;
}

/** True when some middleware in the list has `hook`. */
export function hasHook(middleware: readonly Middleware[], hook: HookName): boolean {
  return middleware.some((m) => m[hook] !== undefined);
}

/** Checks a list given by a user: every entry named, no name twice. */
export function checkMiddleware(middleware: readonly Middleware[]): readonly Middleware[] {
  const seen = new Set<string>();
  for (const m of middleware) {
    if (typeof m?.name !== 'string' || m.name.length === 0) throw new TypeError('every middleware needs a name');
    if (seen.has(m.name)) throw new TypeError(`middleware ${m.name} is listed twice`);
    seen.add(m.name);
  }
  return middleware;
}
