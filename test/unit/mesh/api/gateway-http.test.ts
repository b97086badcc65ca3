import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { post, seen, withGateway } from './support.ts';

test('api — POST /<service>/<Type.Method> calls the endpoint with the JSON body and answers its JSON reply', async () => {
  await withGateway(async (api) => {
    const r = await post(api, '/greeter/Say.Hello', '{"name":"Ada"}');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.deepEqual(r.json, { msg: 'Hello Ada' });
  });
});

test('api — go-micro paths (/greeter/say/hello) and headers (Micro-Service, Micro-Endpoint, X- copies, any case) name the endpoint', async () => {
  await withGateway(async (api) => {
    assert.deepEqual((await post(api, '/greeter/say/hello', '{"name":"path"}')).json, { msg: 'Hello path' });
    assert.deepEqual((await post(api, '/', '{"name":"hdr"}', { 'Micro-Service': 'greeter', 'Micro-Endpoint': 'Say.Hello' })).json, { msg: 'Hello hdr' });
    assert.deepEqual((await post(api, '/', '{"name":"x"}', { 'X-Micro-Service': 'greeter', 'x-micro-endpoint': 'Say.Hello' })).json, { msg: 'Hello x' });
    assert.deepEqual((await post(api, '/greeter', '{"name":"mixed"}', { 'MICRO-ENDPOINT': 'Say.Hello' })).json, { msg: 'Hello mixed' });
    assert.deepEqual((await post(api, '/greeter/anything', '{"name":"wins"}', { 'Micro-Endpoint': 'Say.Hello' })).json, { msg: 'Hello wins' }, 'the header wins over the path');
  });
});

test('api — request headers become call metadata, W3C trace headers included; the gateway’s own headers do not', async () => {
  await withGateway(async (api) => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await post(api, '/greeter/Say.Hello', '{"name":"Ada"}', { 'X-User': 'ada', traceparent, tracestate: 'k=v', baggage: 'tenant=7', 'Micro-Endpoint': 'Say.Hello' });
    const md = seen.at(-1) as Record<string, string>;
    assert.equal(md['x-user'], 'ada');
    assert.equal(md.traceparent, traceparent);
    assert.equal(md.tracestate, 'k=v');
    assert.equal(md.baggage, 'tenant=7');
    for (const k of ['host', 'content-length', 'content-type', 'micro-endpoint', 'connection']) assert.equal(md[k], undefined, k);
  });
});

test('api — a MicroError from the handler is its HTTP status with the error object as the body', async () => {
  await withGateway(async (api) => {
    const r = await post(api, '/greeter/Say.Fail', '{}');
    assert.equal(r.status, 404);
    assert.deepEqual(r.json, { id: 'greeter', code: 404, detail: 'no such greeting', status: 'Not Found', reason: 'NOT_FOUND' });
  });
});

test('api — caller mistakes are 4xx, never 500: unknown service 404, unknown endpoint 404, bad JSON 400, too large 413, wrong method 405', async () => {
  await withGateway(
    async (api) => {
      const unknown = await post(api, '/nobody/Say.Hello', '{}');
      assert.equal(unknown.status, 404);
      assert.equal((unknown.json as { reason: string }).reason, 'SERVICE_NOT_FOUND');
      assert.equal((await post(api, '/greeter/Say.Nothing', '{}')).status, 404);
      assert.equal((await post(api, '/greeter', '{}')).status, 404, 'a service without an endpoint');
      const bad = await post(api, '/greeter/Say.Hello', '{"name":');
      assert.equal(bad.status, 400);
      assert.match((bad.json as { detail: string }).detail, /not JSON/);
      const big = await post(api, '/greeter/Say.Hello', JSON.stringify({ name: 'x'.repeat(2000) }));
      assert.equal(big.status, 413);
      assert.equal((big.json as { reason: string }).reason, 'PAYLOAD_TOO_LARGE');
      const get = await fetch(`${api.url}/greeter/Say.Hello`);
      assert.equal(get.status, 405);
      assert.equal(get.headers.get('allow'), 'POST, OPTIONS');
      assert.equal((await fetch(`${api.url}/`, { method: 'DELETE' })).status, 405);
      assert.equal((await post(api, '/greeter/Say.Hello', '{}', { timeout: 'soon' })).status, 400, 'a bad Timeout header');
      assert.equal((await post(api, '/greeter/%E0%A4%A/x', '{}')).status, 400, 'bad percent-encoding');
      assert.equal((await post(api, '/greeter/Say.Echo', '{}')).status, 400, 'POST to a streaming endpoint');
      assert.deepEqual((await post(api, '/greeter/Say.Hello', '{"name":"still"}')).json, { msg: 'Hello still' }, 'and it keeps serving');
    },
    { maxBodyBytes: 1024 },
  );
});

test('api — a chunked body over the limit is answered 413 as it passes the limit, and the connection closed', async () => {
  await withGateway(
    async (api) => {
      const [host, port] = api.address.split(':') as [string, string];
      const socket = connect(Number(port), host);
      socket.on('error', () => {});
      socket.write('POST /greeter/Say.Hello HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n');
      let answer = '';
      let sent = 0;
      socket.on('data', (d) => {
        answer += d.toString();
      });
      const closed = new Promise((resolve) => socket.once('close', resolve));
      const chunk = `400\r\n${'x'.repeat(1024)}\r\n`;
      while (answer === '' && !socket.destroyed && sent < 1024 * 1024) {
        socket.write(chunk);
        sent += 1024;
        await new Promise((r) => setTimeout(r, 1));
      }
      await closed;
      assert.match(answer, /^HTTP\/1\.1 413/);
      assert.match(answer, /PAYLOAD_TOO_LARGE/);
      assert.ok(sent < 256 * 1024, `the gateway read ${sent} bytes before answering`);
    },
    { maxBodyBytes: 4096 },
  );
});

test('api — a trickled body (slowloris) is answered 408 and closed within the request timeout', async () => {
  await withGateway(
    async (api) => {
      const [host, port] = api.address.split(':') as [string, string];
      const socket = connect(Number(port), host);
      const started = performance.now();
      socket.write('POST /greeter/Say.Hello HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"na');
      const timer = setInterval(() => socket.writable && socket.write(' '), 50);
      let answer = '';
      socket.on('data', (d) => {
        answer += d.toString();
      });
      await new Promise((resolve) => socket.once('close', resolve));
      clearInterval(timer);
      const elapsed = performance.now() - started;
      assert.match(answer, /^HTTP\/1\.1 408/);
      assert.ok(elapsed < 3000, `closed after ${elapsed} ms`);
    },
    { requestTimeoutMs: 300 },
  );
});

test('api — the Timeout header (go-micro nanoseconds, or 50ms) bounds the call: 408', async () => {
  await withGateway(async (api) => {
    const r = await post(api, '/greeter/Say.Slow', '{}', { timeout: '50ms' });
    assert.equal(r.status, 408);
    assert.equal((await post(api, '/greeter/Say.Slow', '{}', { timeout: String(50e6) })).status, 408);
  });
});

test('api — CORS: an allowed origin gets the headers and a preflight answer; another origin gets none', async () => {
  await withGateway(
    async (api) => {
      const pre = await fetch(`${api.url}/greeter/Say.Hello`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers.get('access-control-allow-origin'), 'https://app.example');
      assert.match(pre.headers.get('access-control-allow-methods') ?? '', /POST/);
      assert.match(pre.headers.get('access-control-allow-headers') ?? '', /micro-endpoint/);
      const ok = await post(api, '/greeter/Say.Hello', '{"name":"Ada"}', { origin: 'https://app.example' });
      assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.example');
      const other = await post(api, '/greeter/Say.Hello', '{"name":"Ada"}', { origin: 'https://evil.example' });
      assert.equal(other.headers.get('access-control-allow-origin'), null);
    },
    { cors: { origins: ['https://app.example'] } },
  );
});

test('api — GET / lists services with their endpoints, streaming ones marked; the mesh’s own service is not listed', async () => {
  await withGateway(async (api) => {
    const res = await fetch(`${api.url}/`);
    assert.equal(res.status, 200);
    const { services } = (await res.json()) as { services: Array<{ name: string; nodes: number; endpoints: Array<{ name: string; stream: boolean }> }> };
    assert.deepEqual(
      services.map((s) => s.name),
      ['greeter'],
    );
    assert.equal(services[0]?.nodes, 1);
    const endpoints = Object.fromEntries((services[0]?.endpoints ?? []).map((e) => [e.name, e.stream]));
    assert.deepEqual(endpoints, { 'Say.Count': true, 'Say.Echo': true, 'Say.Fail': false, 'Say.Hello': false, 'Say.Sink': true, 'Say.Slow': false });
  });
});

test('api — go-micro’s POST /rpc names the service and endpoint in the body', async () => {
  await withGateway(async (api) => {
    assert.deepEqual((await post(api, '/rpc', '{"service":"greeter","endpoint":"Say.Hello","request":{"name":"rpc"}}')).json, { msg: 'Hello rpc' });
    assert.deepEqual((await post(api, '/rpc', '{"service":"greeter","method":"Say.Hello","request":{"name":"m"}}')).json, { msg: 'Hello m' });
    assert.equal((await post(api, '/rpc', '{"request":{}}')).status, 400);
    assert.equal((await fetch(`${api.url}/rpc`)).status, 405);
  });
});
