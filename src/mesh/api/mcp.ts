/**
 * The Model Context Protocol over streamable HTTP at `/mcp`: JSON-RPC 2.0 in a POST, one JSON answer (no SSE).
 * `initialize`, `ping`, `tools/list`, `tools/call` (and the stateless `server/discover`). A failed call is a result
 * with `isError: true`, so an agent can read it; an unknown tool or bad arguments are JSON-RPC errors (-32602).
 * Trace context comes from the HTTP headers or, as MCP 2026 carries it, from `params._meta`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MicroError } from '../errors.ts';
import type { MeshNode } from '../mesh-node.ts';
import { sanitizeMetadata } from '../metadata.ts';
import { readBody, sendError, sendJson } from './body.ts';
import { listTools } from './mcp-tools.ts';
import type { ResolvedApiOptions } from './options.ts';
import { metadataOf, timeoutOf } from './route.ts';
import { withTraceOf } from './trace.ts';

export const MCP_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'] as const;

const ID = 'micro.api.mcp';

type JsonRpcId = string | number | null;
interface JsonRpcRequest {
  jsonrpc: '2.0';
  id?: JsonRpcId;
  method: string;
  params?: Record<string, unknown>;
}

/** JSON-RPC error codes. */
const RpcError = { parse: -32700, invalidRequest: -32600, methodNotFound: -32601, invalidParams: -32602, internal: -32603 } as const;

class RpcFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export interface McpDeps {
  node: MeshNode;
  options: ResolvedApiOptions;
}

export interface McpHandler {
  handle(req: IncomingMessage, res: ServerResponse): void;
}

const TRACE_KEYS = ['traceparent', 'tracestate', 'baggage'] as const;

/** Trace context from `_meta` (MCP 2026) over the HTTP headers' metadata. */
function metaTrace(params: Record<string, unknown> | undefined): Record<string, string> {
  const meta = sanitizeMetadata(params?._meta);
  const out: Record<string, string> = {};
  for (const k of TRACE_KEYS) if (meta[k] !== undefined) out[k] = meta[k];
  return out;
}

export function createMcpHandler(deps: McpDeps): McpHandler {
  const { node, options } = deps;
  const serverInfo = { name: 'micromesh', title: 'micromesh API gateway', version: '0.1.0' };
  const capabilities = { tools: { listChanged: false } };

  const methods: Record<string, (params: Record<string, unknown> | undefined, req: IncomingMessage) => Promise<unknown>> = {
    initialize: async (params) => {
      const asked = params?.protocolVersion;
      const protocolVersion = MCP_VERSIONS.includes(asked as (typeof MCP_VERSIONS)[number]) ? asked : MCP_VERSIONS[0];
      return { protocolVersion, capabilities, serverInfo, instructions: 'Each tool calls one endpoint of a service on the micromesh mesh.' };
    },
    'server/discover': async () => ({ supportedVersions: MCP_VERSIONS, capabilities, serverInfo }),
    ping: async () => ({}),
    'tools/list': async () => ({ tools: [...(await listTools(node.registry)).values()].map((t) => t.tool) }),
    'tools/call': async (params, req) => {
      const name = params?.name;
      if (typeof name !== 'string') throw new RpcFailure(RpcError.invalidParams, 'tools/call wants params.name, a tool name');
      const args = params?.arguments ?? {};
      if (args === null || typeof args !== 'object' || Array.isArray(args)) throw new RpcFailure(RpcError.invalidParams, 'tools/call wants params.arguments, an object');
      const target = (await listTools(node.registry)).get(name);
      if (target === undefined) throw new RpcFailure(RpcError.invalidParams, `unknown tool: ${name}`);
      const metadata = { ...metadataOf(req.headers), ...metaTrace(params) };
      try {
        const timeoutMs = timeoutOf(req.headers, options.timeoutMs);
        const reply = await withTraceOf(metadata, () => node.client.call(target.service, target.endpoint, args, { timeoutMs, metadata }));
        const result: Record<string, unknown> = { content: [{ type: 'text', text: JSON.stringify(reply ?? null) }], isError: false };
        if (reply !== null && typeof reply === 'object' && !Array.isArray(reply)) result.structuredContent = reply;
        return result;
      } catch (err) {
        const e = MicroError.from(err, ID);
        return { content: [{ type: 'text', text: JSON.stringify(e.toJSON()) }], isError: true };
      }
    },
  };

  async function answer(message: unknown, req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
    const m = message as Partial<JsonRpcRequest> | null;
    const id = m !== null && typeof m === 'object' && (typeof m.id === 'string' || typeof m.id === 'number') ? m.id : null;
    if (m === null || typeof m !== 'object' || m.jsonrpc !== '2.0' || typeof m.method !== 'string') {
      // Responses and malformed messages alike: a response from the client needs no answer.
      if (m !== null && typeof m === 'object' && m.jsonrpc === '2.0' && ('result' in m || 'error' in m)) return undefined;
      return { jsonrpc: '2.0', id, error: { code: RpcError.invalidRequest, message: 'not a JSON-RPC 2.0 request' } };
    }
    const isNotification = !('id' in m);
    if (isNotification) return undefined;
    const method = methods[m.method];
    if (method === undefined) return { jsonrpc: '2.0', id, error: { code: RpcError.methodNotFound, message: `unknown method: ${m.method}` } };
    const params = m.params !== null && typeof m.params === 'object' && !Array.isArray(m.params) ? m.params : undefined;
    try {
      return { jsonrpc: '2.0', id, result: await method(params, req) };
    } catch (err) {
      if (err instanceof RpcFailure) return { jsonrpc: '2.0', id, error: { code: err.code, message: err.message } };
      const e = MicroError.from(err, ID);
      return { jsonrpc: '2.0', id, error: { code: RpcError.internal, message: e.detail, data: e.toJSON() } };
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      return sendError(res, new MicroError('METHOD_NOT_ALLOWED', `${req.method} /mcp: this server answers JSON-RPC in POST only (no SSE stream)`, { id: ID }), false, { allow: 'POST, OPTIONS' });
    }
    let body: Buffer;
    try {
      body = await readBody(req, options.maxBodyBytes);
    } catch (err) {
      return sendError(res, err, true);
    }
    let message: unknown;
    try {
      message = JSON.parse(body.toString('utf8'));
    } catch (err) {
      return sendJson(res, 400, JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: RpcError.parse, message: `not JSON: ${(err as Error).message}` } }));
    }
    if (Array.isArray(message)) {
      const answers = (await Promise.all(message.slice(0, 100).map((m) => answer(m, req)))).filter((a) => a !== undefined);
      if (answers.length === 0) return void res.writeHead(202).end();
      return sendJson(res, 200, JSON.stringify(answers));
    }
    const reply = await answer(message, req);
    if (reply === undefined) return void res.writeHead(202).end();
    const status = reply.error !== undefined && (reply.error as { code: number }).code === RpcError.invalidRequest ? 400 : 200;
    sendJson(res, status, JSON.stringify(reply));
  }

  return {
    handle: (req, res) => {
      handle(req, res).catch((err: unknown) => sendError(res, err));
    },
  };
}
