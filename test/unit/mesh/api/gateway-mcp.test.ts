import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiGateway } from '../../../../src/mesh/api/gateway.ts';
import { seen, withGateway } from './support.ts';

/** A minimal MCP client: JSON-RPC 2.0 over streamable HTTP, as an agent sends it. */
function mcpClient(api: ApiGateway) {
  let next = 1;
  const post = async (body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${api.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) };
  };
  return {
    post,
    async request(method: string, params?: unknown, headers?: Record<string, string>) {
      const id = next++;
      const r = await post({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }, headers);
      assert.equal(r.status, 200);
      assert.equal(r.json?.id, id);
      return r.json as { result?: Record<string, unknown>; error?: { code: number; message: string } };
    },
  };
}

test('mcp — initialize, then tools/list: one tool per unary endpoint, named service.Type.Method, schema from the request description', async () => {
  await withGateway(async (api) => {
    const mcp = mcpClient(api);
    const init = await mcp.request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'test', version: '1' } });
    assert.equal(init.result?.protocolVersion, '2025-06-18');
    assert.deepEqual(init.result?.capabilities, { tools: { listChanged: false } });
    assert.equal((await mcp.post({ jsonrpc: '2.0', method: 'notifications/initialized' })).status, 202);
    const list = await mcp.request('tools/list', {});
    const tools = list.result?.tools as Array<{ name: string; inputSchema: Record<string, unknown>; annotations: Record<string, unknown> }>;
    assert.deepEqual(
      tools.map((t) => t.name),
      ['greeter.Say.Fail', 'greeter.Say.Hello', 'greeter.Say.Slow'],
    );
    const hello = tools.find((t) => t.name === 'greeter.Say.Hello');
    assert.deepEqual(hello?.inputSchema, { type: 'object', properties: { name: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } } });
    assert.deepEqual(hello?.annotations, { idempotentHint: true });
    assert.deepEqual(tools.find((t) => t.name === 'greeter.Say.Fail')?.inputSchema, { type: 'object' });
  });
});

test('mcp — tools/call answers the reply as text and structured content; a failed call is a result with isError: true', async () => {
  await withGateway(async (api) => {
    const mcp = mcpClient(api);
    const ok = await mcp.request('tools/call', { name: 'greeter.Say.Hello', arguments: { name: 'Ada' }, _meta: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });
    assert.deepEqual(ok.result, { content: [{ type: 'text', text: '{"msg":"Hello Ada"}' }], isError: false, structuredContent: { msg: 'Hello Ada' } });
    assert.equal(seen.at(-1)?.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'trace context from _meta');
    const failed = await mcp.request('tools/call', { name: 'greeter.Say.Fail', arguments: {} });
    assert.equal(failed.result?.isError, true);
    const text = (failed.result?.content as Array<{ text: string }> | undefined)?.[0]?.text as string;
    assert.equal((JSON.parse(text) as { code: number }).code, 404);
  });
});

test('mcp — protocol mistakes are JSON-RPC errors: unknown tool and bad arguments -32602, unknown method -32601, not JSON -32700; GET is 405', async () => {
  await withGateway(async (api) => {
    const mcp = mcpClient(api);
    assert.equal((await mcp.request('tools/call', { name: 'nobody.X.Y', arguments: {} })).error?.code, -32602);
    assert.equal((await mcp.request('tools/call', { name: 'greeter.Say.Hello', arguments: [1] })).error?.code, -32602);
    assert.equal((await mcp.request('tools/call', {})).error?.code, -32602);
    assert.equal((await mcp.request('resources/list')).error?.code, -32601);
    assert.deepEqual((await mcp.request('ping')).result, {});
    const parse = await mcp.post('{"jsonrpc":');
    assert.equal(parse.status, 400);
    assert.equal((parse.json?.error as { code: number } | undefined)?.code, -32700);
    assert.equal((await mcp.post({ hello: 1 })).status, 400);
    assert.equal((await fetch(`${api.url}/mcp`)).status, 405);
  });
});
