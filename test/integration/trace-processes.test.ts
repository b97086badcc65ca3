// One call across three processes (this test's node → front → back), each with the OpenTelemetry SDK and an
// in-memory exporter: every span lands in one trace, each parented on the hop before it. (The gateway's HTTP leg
// in front of this chain is the gateway's own test.)
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { context, propagation, SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createNode, type MeshNode } from '../../src/index.ts';
import { type SpanLine, spanLine } from '../support/inspect.ts';
import { randomMdnsPort, startProcess } from '../support/processes.ts';

const port = String(randomMdnsPort());
const children: ChildProcess[] = [];
let client: MeshNode | undefined;
after(async () => {
  await client?.stop();
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  context.disable();
  propagation.disable();
});

/** Stops a traced child and returns the spans it printed on the way out. */
function spansOf(child: ChildProcess): Promise<SpanLine[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no spans line within 10 s')), 10_000);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (!line.startsWith('spans ')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line.slice(6)) as SpanLine[]);
    });
    child.kill('SIGTERM');
  });
}

test('tracing — one call through three processes is one trace, each span parented on the hop before it', { timeout: 60_000 }, async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const [front, back] = await Promise.all([
    startProcess('traced-node.ts', { TEST_MDNS_PORT: port, TEST_NODE_ID: 'trace-front', TEST_ROLE: 'front' }),
    startProcess('traced-node.ts', { TEST_MDNS_PORT: port, TEST_NODE_ID: 'trace-back', TEST_ROLE: 'back' }),
  ]);
  children.push(front.child, back.child);
  client = await createNode({ id: 'trace-client', mdns: { port: Number(port) }, tracing: { tracer: provider.getTracer('client') } });
  const reply = await client.client.call('front', 'Front.Call', { n: 7 }, { timeoutMs: 15_000 });
  assert.deepEqual(reply, { front: 'trace-front', back: { back: 'trace-back', n: 7 } });
  const [frontSpans, backSpans] = await Promise.all([spansOf(front.child), spansOf(back.child)]);
  const mine = exporter.getFinishedSpans().map(spanLine);
  const one = (spans: SpanLine[], name: string, kind: SpanKind): SpanLine => {
    const found = spans.filter((s) => s.name === name && s.kind === kind);
    assert.equal(found.length, 1, `one ${SpanKind[kind]} ${name} in ${spans.map((s) => `${s.name}/${SpanKind[s.kind]}`).join(', ')}`);
    return found[0] as SpanLine;
  };
  const call = one(mine, 'front/Front.Call', SpanKind.CLIENT);
  const attempt = one(mine, 'front/Front.Call attempt', SpanKind.INTERNAL);
  const frontServer = one(frontSpans, 'front/Front.Call', SpanKind.SERVER);
  const frontCall = one(frontSpans, 'back/Back.Call', SpanKind.CLIENT);
  const frontAttempt = one(frontSpans, 'back/Back.Call attempt', SpanKind.INTERNAL);
  const backServer = one(backSpans, 'back/Back.Call', SpanKind.SERVER);
  const chain = [call, attempt, frontServer, frontCall, frontAttempt, backServer];
  assert.equal(new Set(chain.map((s) => s.traceId)).size, 1, 'one trace across the three processes');
  assert.equal(call.parentSpanId, undefined, 'the first call is the root');
  for (let i = 1; i < chain.length; i++) {
    const [parent, span] = [chain[i - 1] as SpanLine, chain[i] as SpanLine];
    assert.equal(span.parentSpanId, parent.spanId, `${span.name} (${SpanKind[span.kind]}) is a child of ${parent.name}`);
  }
  assert.equal(frontServer.attributes['rpc.system.name'], 'micromesh');
  assert.equal(backServer.attributes['rpc.method'], 'back/Back.Call');
});
