import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MicroError } from '../../../../src/mesh/errors.ts';
import type { MeshNode } from '../../../../src/mesh/mesh-node.ts';
import { serverAttributes } from '../../../../src/mesh/ops/tracing.ts';
import { defineService } from '../../../../src/mesh/service.ts';
import { memoryMesh } from '../../../support/mesh.ts';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();

before(() => {
  context.setGlobalContextManager(contextManager.enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
});
after(async () => {
  await provider.shutdown();
  context.disable();
  propagation.disable();
});

const seen: Array<Record<string, string>> = [];
const greeter = defineService({
  name: 'greeter',
  endpoints: {
    'Say.Hello': (req: { name: string }, ctx) => {
      seen.push({ ...ctx.metadata });
      return { msg: `Hello ${req.name}`, traceId: trace.getActiveSpan()?.spanContext().traceId };
    },
    'Say.Fail': () => {
      throw new MicroError('NOT_FOUND', 'no such greeting');
    },
  },
});

function one(spans: readonly ReadableSpan[], name: string, kind: SpanKind): ReadableSpan {
  const found = spans.filter((s) => s.name === name && s.kind === kind);
  assert.equal(found.length, 1, `one ${SpanKind[kind]} span named ${name}, got ${spans.map((s) => `${s.name}/${SpanKind[s.kind]}`).join(', ')}`);
  return found[0] as ReadableSpan;
}

/** A traced server node b serving greeter and a traced caller node a on one memory mesh, closed afterwards. */
async function withTracedPair(run: (a: MeshNode, b: MeshNode) => Promise<void>): Promise<void> {
  exporter.reset();
  seen.length = 0;
  const mesh = memoryMesh();
  const tracer = provider.getTracer('test');
  try {
    const b = await mesh.node('b', { tracing: { tracer } });
    await b.serve(greeter);
    const a = await mesh.node('a', { tracing: { tracer } });
    await run(a, b);
  } finally {
    await mesh.close();
  }
}

test('tracing — a call from A to B is one trace: CLIENT and attempt spans on A, SERVER on B parented through traceparent', async () => {
  await withTracedPair(async (a) => {
    const reply = await a.client.call<{ msg: string; traceId: string }>('greeter', 'Say.Hello', { name: 'Ada' });
    const spans = exporter.getFinishedSpans();
    const client = one(spans, 'greeter/Say.Hello', SpanKind.CLIENT);
    const attempt = one(spans, 'greeter/Say.Hello attempt', SpanKind.INTERNAL);
    const server = one(spans, 'greeter/Say.Hello', SpanKind.SERVER);
    const traceId = client.spanContext().traceId;
    assert.equal(attempt.spanContext().traceId, traceId);
    assert.equal(server.spanContext().traceId, traceId);
    assert.equal(reply.traceId, traceId, 'the handler runs inside the SERVER span');
    assert.equal(attempt.parentSpanContext?.spanId, client.spanContext().spanId);
    assert.equal(server.parentSpanContext?.spanId, attempt.spanContext().spanId, 'SERVER is parented to A through the traceparent');
    assert.equal(seen[0]?.traceparent, `00-${traceId}-${attempt.spanContext().spanId}-01`);
    for (const s of [client, attempt, server]) {
      assert.equal(s.attributes['rpc.system.name'], 'micromesh');
      assert.equal(s.attributes['rpc.method'], 'greeter/Say.Hello');
      assert.equal(s.status.code, SpanStatusCode.UNSET);
    }
    assert.equal(attempt.attributes['server.address'], 'b');
  });
});

test('tracing — a failing call sets error.type to the reason and status ERROR on both sides', async () => {
  await withTracedPair(async (a) => {
    await assert.rejects(a.client.call('greeter', 'Say.Fail', {}), (e: MicroError) => e.reason === 'NOT_FOUND');
    const spans = exporter.getFinishedSpans();
    for (const kind of [SpanKind.CLIENT, SpanKind.SERVER]) {
      const s = one(spans, 'greeter/Say.Fail', kind);
      assert.equal(s.attributes['error.type'], 'NOT_FOUND');
      assert.equal(s.status.code, SpanStatusCode.ERROR);
    }
  });
});

test('tracing — baggage and an outer span of the caller travel with the call', async () => {
  await withTracedPair(async (a) => {
    const tracer = provider.getTracer('test');
    const outer = tracer.startSpan('outer');
    const ctx = propagation.setBaggage(trace.setSpan(context.active(), outer), propagation.createBaggage({ tenant: { value: 'acme' } }));
    await context.with(ctx, () => a.client.call('greeter', 'Say.Hello', { name: 'Bo' }));
    outer.end();
    const client = one(exporter.getFinishedSpans(), 'greeter/Say.Hello', SpanKind.CLIENT);
    assert.equal(client.parentSpanContext?.spanId, outer.spanContext().spanId);
    assert.equal(seen[0]?.baggage, 'tenant=acme');
  });
});

test('tracing — server.address and server.port from a host:port address', () => {
  assert.deepEqual(serverAttributes('127.0.0.1:4000'), { 'server.address': '127.0.0.1', 'server.port': 4000 });
  assert.deepEqual(serverAttributes('[::1]:4000'), { 'server.address': '::1', 'server.port': 4000 });
  assert.deepEqual(serverAttributes('mem://b'), { 'server.address': 'b' });
});
