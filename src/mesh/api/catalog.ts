/**
 * What the gateway can reach, from the registry: the services and endpoints `GET /` lists and MCP offers as tools.
 * The mesh's own bookkeeping service is left out.
 */
import { NODE_SERVICE } from '../client/resolver.ts';
import type { Endpoint, Registry, Value } from '../registry/registry.ts';

export interface CatalogEndpoint {
  name: string;
  /** True for a streaming endpoint (reached over WebSocket, not POST or MCP). */
  stream: boolean;
  request?: Value;
  response?: Value;
  metadata: Record<string, string>;
}

export interface CatalogService {
  name: string;
  versions: string[];
  /** How many nodes serve it, over all versions. */
  nodes: number;
  endpoints: CatalogEndpoint[];
}

const byName = <T extends { name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Every service and its endpoints (the union over versions), sorted by name, so listings are deterministic. */
export async function catalog(registry: Registry): Promise<CatalogService[]> {
  const merged = new Map<string, { versions: Set<string>; nodes: Set<string>; endpoints: Map<string, Endpoint> }>();
  for (const s of await registry.listServices()) {
    if (s.name === NODE_SERVICE) continue;
    let m = merged.get(s.name);
    if (m === undefined) merged.set(s.name, (m = { versions: new Set(), nodes: new Set(), endpoints: new Map() }));
    m.versions.add(s.version);
    for (const n of s.nodes) m.nodes.add(n.id);
    for (const e of s.endpoints) if (!m.endpoints.has(e.name)) m.endpoints.set(e.name, e);
  }
  return [...merged]
    .map(([name, m]) => ({
      name,
      versions: [...m.versions].sort(),
      nodes: m.nodes.size,
      endpoints: [...m.endpoints.values()].map(describe).sort(byName),
    }))
    .sort(byName);
}

function describe(e: Endpoint): CatalogEndpoint {
  const out: CatalogEndpoint = { name: e.name, stream: e.metadata.stream === 'true', metadata: e.metadata };
  if (e.request !== undefined) out.request = e.request;
  if (e.response !== undefined) out.response = e.response;
  return out;
}
