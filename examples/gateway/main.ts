import { createApiGateway, createNode, defineService } from 'micromesh';
import WebSocket from 'ws';

// `npx tsx examples/gateway/main.ts`: a node serving greeter, the API gateway in front of it, and the calls an HTTP
// client, a browser (WebSocket) and an AI agent (MCP) make through it. With `--serve` it keeps running for curl.
const greeter = defineService({
  name: 'greeter',
  endpoints: {
    'Say.Hello': {
      handler: (req: { name: string }) => ({ msg: `Hello ${req.name}` }),
      // Described endpoints get an input schema as MCP tools, and show their shape in `GET /`.
      request: { name: 'HelloRequest', type: 'HelloRequest', values: [{ name: 'name', type: 'string' }] },
      response: { name: 'HelloReply', type: 'HelloReply', values: [{ name: 'msg', type: 'string' }] },
    },
    'Say.Stream': {
      stream: async (stream) => {
        for await (const name of stream) await stream.send({ msg: `Hello ${(name as { name: string }).name}` });
      },
    },
  },
});

const node = await createNode().catch((err: unknown) => {
  console.error(`gateway example: ${String(err)}`);
  process.exit(1);
});
await node.serve(greeter);
const api = await createApiGateway(node, { address: process.env.MICRO_API_ADDRESS ?? '127.0.0.1:0' });
console.log(`gateway on ${api.url}`);

async function show(curl: string, res: Promise<Response>): Promise<void> {
  const r = await res;
  console.log(`$ ${curl}\n${r.status} ${await r.text()}`);
}
const url = api.url;
await show(`curl -d '{"name":"Ada"}' ${url}/greeter/Say.Hello`, fetch(`${url}/greeter/Say.Hello`, { method: 'POST', body: '{"name":"Ada"}' }));
await show(
  `curl -H 'Micro-Endpoint: Say.Hello' -d '{"name":"Grace"}' ${url}/greeter`,
  fetch(`${url}/greeter`, { method: 'POST', headers: { 'Micro-Endpoint': 'Say.Hello' }, body: '{"name":"Grace"}' }),
);
await show(`curl -d '{}' ${url}/nobody/Say.Hello`, fetch(`${url}/nobody/Say.Hello`, { method: 'POST', body: '{}' }));

// A streaming endpoint over WebSocket: one JSON message per request and per reply; an empty message ends the requests.
const ws = new WebSocket(`ws://${api.address}/greeter/Say.Stream`);
await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
const replies: string[] = [];
ws.on('message', (data) => replies.push(String(data)));
for (const name of ['Barbara', 'Edsger']) ws.send(JSON.stringify({ name }));
ws.send('');
await new Promise((resolve) => ws.once('close', resolve));
console.log(`websocket /greeter/Say.Stream: ${replies.join(' ')}`);

// An AI agent's view: the Model Context Protocol (JSON-RPC 2.0 over HTTP) at /mcp, each endpoint a tool.
const rpc = async (method: string, params: unknown) => {
  const res = await fetch(`${url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  return ((await res.json()) as { result: Record<string, unknown> }).result;
};
const { tools } = (await rpc('tools/list', {})) as { tools: Array<{ name: string }> };
console.log(`mcp tools: ${tools.map((t) => t.name).join(', ')}`);
const called = (await rpc('tools/call', { name: 'greeter.Say.Hello', arguments: { name: 'Claude' } })) as { content: Array<{ text: string }> };
console.log(`mcp tools/call greeter.Say.Hello: ${called.content[0]?.text}`);

if (process.argv.includes('--serve')) {
  console.log('serving until Ctrl-C');
  process.on('SIGINT', () => void api.close().then(() => node.stop()));
} else {
  await api.close();
  await node.stop();
}
