import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { MicroError } from '../../../../src/mesh/errors.ts';
import type { Metadata } from '../../../../src/mesh/metadata.ts';
import { compose, type InboundDelivery, type OutboundPublish } from '../../../../src/mesh/middleware/middleware.ts';
import { metricsMiddleware } from '../../../../src/mesh/ops/metrics.ts';
import { tracingMiddleware } from '../../../../src/mesh/ops/tracing.ts';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();
const tracer = provider.getTracer('test');
const propagator = new W3CTraceContextPropagator();

before(() => {
  context.setGlobalContextManager(contextManager.enable());
});
after(async () => {
  await provider.shutdown();
  context.disable();
});

/** A publish and a delivery chain through the node's middleware (tracing outermost, then metrics), as a broker composes them. */
function chains(onPublish: (p: OutboundPublish) => void, onDeliver: (d: InboundDelivery) => Promise<void>) {
  const middleware = [tracingMiddleware({ tracer, propagator }), metricsMiddleware(new Registry())];
  return {
    publish: compose(middleware, 'publish', async (p) => onPublish(p)),
    deliver: compose(middleware, 'subscribe', onDeliver),
  };
}

test('tracing — a publish inside a call is a PRODUCER span whose traceparent rides in the message; its delivery is a CONSUMER child', async () => {
  exporter.reset();
  const sent: OutboundPublish[] = [];
  let activeInHandler: string | undefined;
  const { publish, deliver } = chains(
    (p) => sent.push(p),
    async () => {
      activeInHandler = trace.getActiveSpan()?.spanContext().spanId;
    },
  );
  const root = tracer.startSpan('handler');
  await context.with(trace.setSpan(context.active(), root), () => publish({ topic: 'orders.created', system: 'nats', message: { id: 1 }, metadata: { 'x-keep': 'yes' } }));
  root.end();
  const metadata = sent[0]?.metadata as Metadata;
  assert.equal(metadata['x-keep'], 'yes', 'other metadata is kept');
  assert.match(metadata.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  await deliver({ topic: 'orders.created', system: 'nats', message: { id: 1 }, metadata });

  const spans = exporter.getFinishedSpans();
  const producer = spans.find((s) => s.kind === SpanKind.PRODUCER);
  const consumer = spans.find((s) => s.kind === SpanKind.CONSUMER);
  assert.ok(producer && consumer, spans.map((s) => s.name).join(', '));
  assert.equal(producer.name, 'publish orders.created');
  assert.deepEqual(
    {
      system: producer.attributes['messaging.system'],
      type: producer.attributes['messaging.operation.type'],
      destination: producer.attributes['messaging.destination.name'],
    },
    { system: 'nats', type: 'send', destination: 'orders.created' },
  );
  assert.equal(producer.parentSpanContext?.spanId, root.spanContext().spanId, 'the publish is a child of the active span');
  assert.equal(metadata.traceparent, `00-${producer.spanContext().traceId}-${producer.spanContext().spanId}-01`);
  assert.equal(consumer.name, 'process orders.created');
  assert.equal(consumer.attributes['messaging.operation.type'], 'process');
  assert.equal(consumer.attributes['messaging.destination.name'], 'orders.created');
  assert.equal(consumer.spanContext().traceId, root.spanContext().traceId, 'one trace from the call to the consumer');
  assert.equal(consumer.parentSpanContext?.spanId, producer.spanContext().spanId, 'the delivery is a child of the publish');
  assert.equal(activeInHandler, consumer.spanContext().spanId, 'the subscriber runs inside its span');
});

test('tracing — a failed delivery ends its span with ERROR and error.type; the default messaging.system is micromesh', async () => {
  exporter.reset();
  const { deliver } = chains(
    () => {},
    async () => {
      throw new MicroError('BAD_REQUEST', 'cannot parse');
    },
  );
  await assert.rejects(deliver({ topic: 'orders', message: 'x', metadata: {} }), /cannot parse/);
  const [span] = exporter.getFinishedSpans();
  assert.equal(span?.kind, SpanKind.CONSUMER);
  assert.equal(span?.status.code, SpanStatusCode.ERROR);
  assert.equal(span?.attributes['error.type'], 'BAD_REQUEST');
  assert.equal(span?.attributes['messaging.system'], 'micromesh');
  assert.equal(span?.parentSpanContext, undefined, 'no traceparent: a new trace');
});

test('tracing — a publish the next step refuses is an ERROR span and the refusal reaches the publisher', async () => {
  exporter.reset();
  const middleware = [tracingMiddleware({ tracer, propagator })];
  const publish = compose(middleware, 'publish', async () => {
    throw new MicroError('UNAVAILABLE', 'broker down');
  });
  await assert.rejects(publish({ topic: 'orders', message: 1, metadata: {} }), /broker down/);
  const [span] = exporter.getFinishedSpans();
  assert.equal(span?.kind, SpanKind.PRODUCER);
  assert.equal(span?.attributes['error.type'], 'UNAVAILABLE');
});

test('tracing — without an SDK a call is passed through untouched, and an incoming trace is carried on unchanged', async () => {
  const mw = [tracingMiddleware({ propagator })]; // the API's own tracer: no SDK registered, spans record nothing
  const seen: Metadata[] = [];
  const attempt = compose(mw, 'attempt', async (a) => {
    seen.push(a.call.metadata);
  });
  const call = { kind: 'unary' as const, service: 's', endpoint: 'A.B', request: {}, metadata: { 'x-a': '1' }, deadline: 0 };
  const original = call.metadata;
  await attempt({ call, node: { id: 'n', address: '127.0.0.1:1', metadata: {} }, number: 1, local: false });
  assert.equal(seen[0], original, 'the same metadata object: nothing copied, no traceparent added');
  const incoming = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const handler = compose(mw, 'handler', async () => {
    const onward = { ...call, metadata: {} };
    await attempt({ call: onward, node: { id: 'n', address: '127.0.0.1:1', metadata: {} }, number: 1, local: false });
  });
  await handler({}, { service: 's', endpoint: 'A.B', metadata: { traceparent: incoming }, signal: new AbortController().signal, deadline: 0, caller: 'c', log: console as never });
  assert.equal(seen[1]?.traceparent, incoming, 'the caller’s trace continues through this node');
});
