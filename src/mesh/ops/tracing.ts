/**
 * Tracing middleware: OpenTelemetry spans through `@opentelemetry/api` only, so the SDK (and its exporter) is the
 * application's choice; without a registered SDK every span is a no-op. Names and attributes follow the RPC
 * semantic conventions: span name `{rpc.method}` = `<service>/<Type.Method>`, `rpc.system.name` = `micromesh`,
 * `server.address`/`server.port` on attempts, `error.type` (the MicroError reason) and status ERROR on failure.
 * The trace context (W3C `traceparent`, `tracestate` and `baggage`, through the registered propagator) rides in the
 * call's metadata, so a trace continues on the node that serves it.
 */
import {
  type Attributes,
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { MicroError } from '../errors.ts';
import type { Metadata } from '../metadata.ts';
import type { Middleware } from '../middleware/middleware.ts';

export interface TracingOptions {
  /** Where spans go. @default trace.getTracer('micromesh'): the globally registered provider */
  tracer?: Tracer;
  /** How the trace context is written to and read from metadata. @default the globally registered propagator */
  propagator?: Pick<TextMapPropagator, 'inject' | 'extract'>;
}

export const RPC_SYSTEM = 'micromesh';

const setter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};
const getter: TextMapGetter<Metadata> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

/** The `rpc.method` of an endpoint: `<service>/<Type.Method>`. */
export function rpcMethod(service: string, endpoint: string): string {
  return `${service}/${endpoint}`;
}

function rpcAttributes(method: string): Attributes {
  return { 'rpc.system.name': RPC_SYSTEM, 'rpc.method': method };
}

/** `host:port` (or a transport URL such as `mem://b`) as `server.address` and `server.port`. */
export function serverAttributes(address: string): Attributes {
  const hostPort = address.includes('://') ? address.slice(address.indexOf('://') + 3) : address;
  const colon = hostPort.lastIndexOf(':');
  const port = colon > 0 ? Number(hostPort.slice(colon + 1)) : Number.NaN;
  if (!Number.isInteger(port)) return { 'server.address': hostPort };
  return { 'server.address': hostPort.slice(0, colon).replace(/^\[|\]$/g, ''), 'server.port': port };
}

function fail(span: Span, err: unknown): void {
  const e = MicroError.from(err);
  span.setAttribute('error.type', e.reason);
  span.setStatus({ code: SpanStatusCode.ERROR, message: e.detail });
}

/** Ends `span` when `run` settles (it may return a value or a promise), marking a failure. */
function within<T>(span: Span, ctx: Context, run: () => T): T {
  let out: T;
  try {
    out = context.with(ctx, run);
  } catch (err) {
    fail(span, err);
    span.end();
    throw err;
  }
  if (out instanceof Promise) {
    return out.then(
      (v: unknown) => {
        span.end();
        return v;
      },
      (err: unknown) => {
        fail(span, err);
        span.end();
        throw err;
      },
    ) as T;
  }
  span.end();
  return out;
}

/** Messaging attributes: `messaging.system`, `messaging.operation.type` and `.name`, `messaging.destination.name`. */
function messagingAttributes(system: string | undefined, type: string, name: string, destination: string): Attributes {
  return {
    'messaging.system': system ?? RPC_SYSTEM,
    'messaging.operation.type': type,
    'messaging.operation.name': name,
    'messaging.destination.name': destination,
  };
}

/**
 * Spans for every outbound call (CLIENT), attempt, client stream (CLIENT, ended when the stream closes), inbound
 * call and stream (SERVER), remote actor message (PRODUCER on send, CONSUMER on receive), publish (PRODUCER
 * `publish <topic>`, its trace context written into the message's metadata) and delivery to a subscriber
 * (CONSUMER `process <topic>`, a child of the publish span found in the metadata).
 * @example
 * const node = await createNode({ middleware: [tracingMiddleware()] }); // or createNode({ tracing: true })
 */
export function tracingMiddleware(options: TracingOptions = {}): Middleware {
  // The API's tracer is a proxy: one taken now still reaches an SDK registered later.
  const shared = options.tracer ?? trace.getTracer(RPC_SYSTEM);
  const tracer = (): Tracer => shared;
  const propagator = options.propagator ?? propagation;
  // A span that records nothing and carries no trace (no SDK, no trace context coming in) changes nothing: the
  // hook then calls `next` directly, without attributes, context switch or metadata copy.
  const started = (span: Span, parent: Context, attributes: () => Attributes): { span: Span; ctx: Context } | undefined => {
    if (!span.isRecording()) {
      // The no-op tracer's span outside any trace holds the API's INVALID_SPAN_CONTEXT itself: one comparison
      // instead of the pattern checks of isSpanContextValid on the common path.
      const spanContext = span.spanContext();
      if (spanContext === INVALID_SPAN_CONTEXT || !isSpanContextValid(spanContext)) return undefined;
    } else span.setAttributes(attributes());
    return { span, ctx: trace.setSpan(parent, span) };
  };
  const inbound = (metadata: Metadata, name: string, kind: SpanKind, attributes: () => Attributes) => {
    const parent = propagator.extract(ROOT_CONTEXT, metadata, getter);
    return started(tracer().startSpan(name, { kind }, parent), parent, attributes);
  };
  const outbound = (name: string, kind: SpanKind, attributes: () => Attributes) => {
    const active = context.active();
    return started(tracer().startSpan(name, { kind }, active), active, attributes);
  };
  const carry = (ctx: Context, metadata: Metadata): Metadata => {
    const out: Record<string, string> = { ...metadata };
    propagator.inject(ctx, out, setter);
    return out;
  };
  return {
    name: 'tracing',
    call: (next) => (call) => {
      const method = rpcMethod(call.service, call.endpoint);
      const s = outbound(method, SpanKind.CLIENT, () => rpcAttributes(method));
      return s === undefined ? next(call) : within(s.span, s.ctx, () => next(call));
    },
    attempt: (next) => (attempt) => {
      const { call, node } = attempt;
      const method = rpcMethod(call.service, call.endpoint);
      const s = outbound(`${method} attempt`, SpanKind.INTERNAL, () => ({ ...rpcAttributes(method), ...serverAttributes(node.address), 'micromesh.attempt': attempt.number }));
      if (s === undefined) return next(attempt);
      call.metadata = carry(s.ctx, call.metadata);
      return within(s.span, s.ctx, () => next(attempt));
    },
    stream: (next) => (call) => {
      const method = rpcMethod(call.service, call.endpoint);
      const s = outbound(method, SpanKind.CLIENT, () => ({ ...rpcAttributes(method), 'micromesh.stream': true }));
      if (s === undefined) return next(call);
      const { span, ctx } = s;
      return context.with(ctx, () => next(call)).then(
        (stream) => {
          stream.whenClosed((error) => {
            if (error !== undefined && error.reason !== 'CANCELLED') fail(span, error);
            span.end();
          });
          return stream;
        },
        (err: unknown) => {
          fail(span, err);
          span.end();
          throw err;
        },
      );
    },
    handler: (next) => (request, ctx) => {
      const method = rpcMethod(ctx.service, ctx.endpoint);
      const s = inbound(ctx.metadata, method, SpanKind.SERVER, () => rpcAttributes(method));
      return s === undefined ? next(request, ctx) : within(s.span, s.ctx, () => next(request, ctx));
    },
    serveStream: (next) => (stream, ctx) => {
      const method = rpcMethod(ctx.service, ctx.endpoint);
      const s = inbound(ctx.metadata, method, SpanKind.SERVER, () => ({ ...rpcAttributes(method), 'micromesh.stream': true }));
      return s === undefined ? next(stream, ctx) : within(s.span, s.ctx, () => next(stream, ctx));
    },
    send: (next) => (message) => {
      const s = outbound('send actor', SpanKind.PRODUCER, () => ({ 'messaging.system': RPC_SYSTEM, 'messaging.operation.type': 'send', 'messaging.destination.name': message.to }));
      if (s === undefined) return next(message);
      message.metadata = carry(s.ctx, message.metadata);
      within(s.span, s.ctx, () => next(message));
    },
    receive: (next) => (message) => {
      const s = inbound(message.metadata, 'process actor', SpanKind.CONSUMER, () => ({ 'messaging.system': RPC_SYSTEM, 'messaging.operation.type': 'process', 'messaging.destination.name': message.to }));
      if (s === undefined) return next(message);
      within(s.span, s.ctx, () => next(message));
    },
    publish: (next) => (p) => {
      const s = outbound(`publish ${p.topic}`, SpanKind.PRODUCER, () => messagingAttributes(p.system, 'send', 'publish', p.topic));
      if (s === undefined) return next(p);
      p.metadata = carry(s.ctx, p.metadata);
      return within(s.span, s.ctx, () => next(p));
    },
    subscribe: (next) => (d) => {
      const s = inbound(d.metadata, `process ${d.topic}`, SpanKind.CONSUMER, () => messagingAttributes(d.system, 'process', 'process', d.topic));
      return s === undefined ? next(d) : within(s.span, s.ctx, () => next(d));
    },
  };
}
