/**
 * The operations settings of micromesh's `echo-traced`, `echo-traced-sdk` and `echo-metrics` rows, the same on the
 * client node and the server child. `noop`: the tracing middleware with the API's no-op tracer (no SDK
 * registered), what a node with `tracing: true` costs before anyone installs an SDK. `sdk`: a BasicTracerProvider
 * with the SDK's BatchSpanProcessor and an exporter that drops each batch, so spans are made, ended and batched
 * as in production without any I/O (the provider is given to the middleware, not registered globally, so the
 * other rows in this process are untouched; the server child also enables the AsyncLocalStorage context
 * manager, as an application with the SDK would). `metrics`: prom-client metrics on (ops with no port).
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { NodeOptions } from '../../src/index.ts';

export const OpsMode = { none: 'none', noop: 'noop', sdk: 'sdk', metrics: 'metrics' } as const;
export type OpsMode = (typeof OpsMode)[keyof typeof OpsMode];

const discard: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: async () => {},
};

/** The node options of a mode, and what to shut down with the node. */
export function opsOptions(mode: OpsMode, contextManager: boolean): { options: Partial<NodeOptions>; close: () => Promise<void> } {
  if (mode === 'noop') return { options: { tracing: true }, close: async () => {} };
  if (mode === 'metrics') return { options: { ops: {} }, close: async () => {} };
  if (mode === 'none') return { options: {}, close: async () => {} };
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(discard)] });
  if (contextManager) context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  return { options: { tracing: { tracer: provider.getTracer('bench') } }, close: () => provider.shutdown() };
}

export function isOpsMode(value: string): value is OpsMode {
  return Object.values(OpsMode).includes(value as OpsMode);
}
