import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { randomMdnsPort, startProcess, stopProcess } from '../support/processes.ts';

interface SpanLine {
  name: string;
  kind: SpanKind;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  process: string;
}

/** Stops a traced child and returns the spans it prints on the way out. */
async function spansOf(child: ChildProcess): Promise<SpanLine[]> {
  const line = new Promise<string>((resolve) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (l) => {
      if (l.startsWith('spans ')) resolve(l.slice('spans '.length));
    });
  });
  await stopProcess(child);
  return JSON.parse(await line) as SpanLine[];
}

test('gateway trace — HTTP client → gateway (SERVER, then CLIENT) → front → back across processes is one trace, each span parented to the one before', async () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  const env = { TEST_MDNS_PORT: String(randomMdnsPort()) };
  const back = await startProcess('traced-gateway-node.ts', { ...env, TRACE_ROLE: 'back' });
  const front = await startProcess('traced-gateway-node.ts', { ...env, TRACE_ROLE: 'front' });
  const gateway = await startProcess('traced-gateway-node.ts', { ...env, TRACE_ROLE: 'gateway' });
  const children = [gateway.child, front.child, back.child];
  try {
    const url = gateway.ready.split(' ')[1] as string;
    const tracer = provider.getTracer('http-client');
    const root = tracer.startSpan('POST /front/Front.Relay', { kind: SpanKind.CLIENT });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const bag = propagation.createBaggage({ tenant: { value: 'seven' } });
    propagation.inject(propagation.setBaggage(trace.setSpan(context.active(), root), bag), headers);
    const res = await fetch(`${url}/front/Front.Relay`, { method: 'POST', headers, body: '{"text":"hi"}' });
    root.end();
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { text: 'hi via front', baggage: 'tenant=seven' });

    const [g, f, b] = [await spansOf(gateway.child), await spansOf(front.child), await spansOf(back.child)];
    const all = [...g, ...f, ...b];
    const traceId = root.spanContext().traceId;
    assert.ok(all.length >= 7, JSON.stringify(all));
    assert.deepEqual([...new Set(all.map((s) => s.traceId))], [traceId], 'one trace');
    const find = (process: string, name: string, kind: SpanKind): SpanLine => {
      const found = all.filter((s) => s.process === process && s.name === name && s.kind === kind);
      assert.equal(found.length, 1, `${process} ${name} ${SpanKind[kind]} in ${JSON.stringify(all)}`);
      return found[0] as SpanLine;
    };
    const gwServer = find('gateway', 'POST /front/Front.Relay', SpanKind.SERVER);
    const gwClient = find('gateway', 'front/Front.Relay', SpanKind.CLIENT);
    const gwAttempt = find('gateway', 'front/Front.Relay attempt', SpanKind.INTERNAL);
    const frontServer = find('front', 'front/Front.Relay', SpanKind.SERVER);
    const frontClient = find('front', 'back/Back.Echo', SpanKind.CLIENT);
    const frontAttempt = find('front', 'back/Back.Echo attempt', SpanKind.INTERNAL);
    const backServer = find('back', 'back/Back.Echo', SpanKind.SERVER);
    assert.equal(gwServer.parentSpanId, root.spanContext().spanId, 'the gateway continues the HTTP client’s span');
    assert.equal(gwClient.parentSpanId, gwServer.spanId);
    assert.equal(gwAttempt.parentSpanId, gwClient.spanId);
    assert.equal(frontServer.parentSpanId, gwAttempt.spanId);
    assert.equal(frontClient.parentSpanId, frontServer.spanId);
    assert.equal(frontAttempt.parentSpanId, frontClient.spanId);
    assert.equal(backServer.parentSpanId, frontAttempt.spanId);
  } finally {
    await Promise.all(children.map((c) => stopProcess(c)));
    await provider.shutdown();
    context.disable();
    propagation.disable();
  }
});
