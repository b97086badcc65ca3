import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { createRecordingLogger } from '../../../../src/actors/index.ts';
import { createNodeLogger, requestLogMiddleware } from '../../../../src/mesh/ops/logger.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';
import type { CallContext } from '../../../../src/mesh/service.ts';

before(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
after(() => context.disable());

function lines(): { stream: Writable; read(): Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, read: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

test('logger — a line made inside an active span carries its trace_id and span_id; others do not', () => {
  const out = lines();
  const log = createNodeLogger({ id: 'n1', level: 'info', destination: out.stream }, {});
  const span = new BasicTracerProvider().getTracer('t').startSpan('s');
  context.with(trace.setSpan(context.active(), span), () => log.info({}, 'inside'));
  log.info({}, 'outside');
  span.end();
  const [inside, outside] = out.read();
  assert.equal(inside?.trace_id, span.spanContext().traceId);
  assert.equal(inside?.span_id, span.spanContext().spanId);
  assert.equal(inside?.node, 'n1');
  assert.equal(outside?.trace_id, undefined);
});

test('logger — MICRO_LOG_FORMAT: json by default, a clear error for an unknown format or pretty without pino-pretty', () => {
  assert.throws(() => createNodeLogger({ id: 'n' }, { MICRO_LOG_FORMAT: 'xml' }), /json or pretty/);
  let prettyInstalled = true;
  try {
    import.meta.resolve('pino-pretty');
  } catch {
    prettyInstalled = false;
  }
  if (!prettyInstalled) assert.throws(() => createNodeLogger({ id: 'n' }, { MICRO_LOG_FORMAT: 'pretty' }), /npm install pino-pretty/);
});

test('logger — the request log writes one debug line per inbound call with service, endpoint, status and duration', async () => {
  const log = createRecordingLogger();
  let t = 0;
  const handler = requestLogMiddleware(() => (t += 2))?.handler?.((req) => {
    if (req === 'bad') throw new MicroError('FORBIDDEN', 'no');
    return req;
  });
  const ctx = { service: 's', endpoint: 'E.M', log } as unknown as CallContext;
  assert.equal(await handler?.('ok', ctx), 'ok');
  await assert.rejects(async () => handler?.('bad', ctx));
  assert.deepEqual(
    log.entries.map((e) => [e.level, e.message, e.fields]),
    [
      ['debug', 'request', { service: 's', endpoint: 'E.M', status: 'OK', durationMs: 2 }],
      ['debug', 'request', { service: 's', endpoint: 'E.M', status: 'FORBIDDEN', durationMs: 2 }],
    ],
  );
});
