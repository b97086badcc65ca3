import assert from 'node:assert/strict';
import { test } from 'node:test';
import { propagation, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { post, withGateway } from './support.ts';

test('api tracing — a SERVER span per HTTP call: route, method and status; only a 5xx marks it as an error; the caller’s traceparent is its parent', async () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  try {
    await withGateway(
      async (api) => {
        const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
        await post(api, '/greeter/Say.Hello', '{"name":"Ada"}', { traceparent });
        await post(api, '/greeter/Say.Fail', '{}');
        await post(api, '/greeter/Say.Slow', '{}', { timeout: '20ms' });
        const spans = exporter.getFinishedSpans();
        const byName = (name: string) => spans.find((s) => s.name === name);
        const ok = byName('POST /greeter/Say.Hello');
        assert.equal(ok?.kind, SpanKind.SERVER);
        assert.equal(ok?.attributes['http.route'], '/greeter/Say.Hello');
        assert.equal(ok?.attributes['http.response.status_code'], 200);
        assert.equal(ok?.spanContext().traceId, '0af7651916cd43dd8448eb211c80319c');
        assert.equal(ok?.parentSpanContext?.spanId, 'b7ad6b7169203331');
        const notFound = byName('POST /greeter/Say.Fail');
        assert.equal(notFound?.attributes['http.response.status_code'], 404);
        assert.equal(notFound?.status.code, SpanStatusCode.UNSET, 'a 4xx is the caller’s mistake, not the server’s error');
        const timedOut = byName('POST /greeter/Say.Slow');
        assert.equal(timedOut?.attributes['http.response.status_code'], 408);
      },
      { tracing: { tracer: provider.getTracer('gw') } },
    );
  } finally {
    await provider.shutdown();
    propagation.disable();
  }
});
