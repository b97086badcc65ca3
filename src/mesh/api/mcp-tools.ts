/** Mesh endpoints as MCP tools: one tool per unary endpoint, named `<service>.<Type.Method>`. */
import type { Registry } from '../registry/registry.ts';
import { type CatalogEndpoint, catalog } from './catalog.ts';
import { inputSchema, type JsonSchema } from './schema.ts';

export interface McpTool {
  name: string;
  title: string;
  description: string;
  inputSchema: JsonSchema;
  annotations: { idempotentHint?: boolean; readOnlyHint?: boolean };
}

export interface ToolTarget {
  tool: McpTool;
  service: string;
  endpoint: string;
}

/** MCP's rule for tool names. */
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

function toolOf(service: string, e: CatalogEndpoint): McpTool {
  const description = e.metadata.description ?? `Calls ${e.name} of the ${service} service on the mesh; the arguments are its JSON request.`;
  return {
    name: `${service}.${e.name}`,
    title: `${service} ${e.name}`,
    description,
    inputSchema: inputSchema(e.request),
    annotations: e.metadata.idempotent === 'true' ? { idempotentHint: true } : {},
  };
}

/** Every tool, in a deterministic order (by service, then endpoint); streaming endpoints are not tools. */
export async function listTools(registry: Registry): Promise<Map<string, ToolTarget>> {
  const tools = new Map<string, ToolTarget>();
  for (const s of await catalog(registry)) {
    for (const e of s.endpoints) {
      if (e.stream) continue;
      const tool = toolOf(s.name, e);
      if (TOOL_NAME.test(tool.name)) tools.set(tool.name, { tool, service: s.name, endpoint: e.name });
    }
  }
  return tools;
}
