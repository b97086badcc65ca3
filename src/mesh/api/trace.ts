/**
 * The HTTP client's trace continues through the gateway: W3C `traceparent`, `tracestate` and `baggage` travel into
 * the call's metadata, and through the registered OpenTelemetry propagator the gateway node's own spans (when it
 * traces) become children of the caller's span.
 */
import { type Context, context, propagation, ROOT_CONTEXT, type TextMapGetter } from '@opentelemetry/api';
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
