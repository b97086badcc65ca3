/**
 * The HTTP client's trace continues through the gateway: W3C `traceparent`, `tracestate` and `baggage` travel into
 * the call's metadata, and through the registered OpenTelemetry propagator the gateway node's own spans (when it
 * traces) become children of the caller's span.
 */
import { type Context, context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, type TextMapGetter, type Tracer, trace } from '@opentelemetry/api';
import { MicroError } from '../errors.ts';
import type { Metadata } from '../metadata.ts';

const getter: TextMapGetter<Metadata> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

/** Runs `run` in the trace context the metadata carries; without a `traceparent`, as it is (no context lookup). */
export function withTraceOf<T>(metadata: Metadata, run: () => T): T {
  if (metadata.traceparent === undefined) return run();
  const ctx: Context = propagation.extract(ROOT_CONTEXT, metadata, getter);
  return context.with(ctx, run);
}

/**
 * Runs `run` inside a SERVER span for one HTTP call (`POST /<service>/<endpoint>`, HTTP semantic conventions),
 * child of the caller's span when the metadata carries one. A failure of 500 or more marks the span as an error.
 */
export async function withServerSpan<T>(tracer: Tracer, metadata: Metadata, route: string, local: string, run: () => Promise<T>): Promise<T> {
  const parent = metadata.traceparent === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, metadata, getter);
  const colon = local.lastIndexOf(':');
  const span = tracer.startSpan(
    `POST ${route}`,
    {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': 'POST', 'http.route': route, 'url.path': route, 'server.address': local.slice(0, colon).replace(/^\[|\]$/g, ''), 'server.port': Number(local.slice(colon + 1)) },
    },
    parent,
  );
  try {
    const out = await context.with(trace.setSpan(parent, span), run);
    span.setAttribute('http.response.status_code', 200);
    return out;
  } catch (err) {
    const e = MicroError.from(err);
    span.setAttribute('http.response.status_code', e.code);
    if (e.code >= 500) {
      span.setAttribute('error.type', e.reason);
      span.setStatus({ code: SpanStatusCode.ERROR, message: e.detail });
    }
    throw err;
  } finally {
    span.end();
  }
}
