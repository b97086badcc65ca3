/** Which nodes a command talks to, as the registry sees them. */
import { NODE_SERVICE } from '../mesh/client/resolver.ts';
import { MicroError } from '../mesh/errors.ts';
import type { MeshNode } from '../mesh/mesh-node.ts';
import type { RegistryNode } from '../mesh/registry/registry.ts';

/** How long the node list must stay the same before it counts as complete, and the most it is waited for. */
const SETTLE_MS = 400;
const MAX_SETTLE_MS = 2500;

function nodesOf(services: { name: string; nodes: RegistryNode[] }[], name: string, self: string): Map<string, RegistryNode> {
  const out = new Map<string, RegistryNode>();
  for (const s of services) if (s.name === name) for (const n of s.nodes) if (n.id !== self) out.set(n.id, n);
  return out;
}

/**
 * The nodes serving `service`, or every node of the mesh, without the command's own. A discovering registry
 * (mDNS) admits nodes one by one after they answer a probe, so the whole mesh is read until its list stops
 * growing (bounded); `until` ends the wait early once the wanted nodes are there.
 */
export async function meshNodes(node: MeshNode, service?: string, until: (nodes: Map<string, RegistryNode>) => boolean = () => false): Promise<Map<string, RegistryNode>> {
  if (service !== undefined) {
    const versions = await node.registry.getService(service).catch((err: unknown) => {
      if (MicroError.from(err).reason === 'SERVICE_NOT_FOUND') return [];
      throw err;
    });
    return nodesOf(versions, service, node.id);
  }
  const started = performance.now();
  let nodes = nodesOf(await node.registry.listServices(), NODE_SERVICE, node.id);
  let stableSince = performance.now();
  while (!until(nodes) && performance.now() - stableSince < SETTLE_MS && performance.now() - started < MAX_SETTLE_MS) {
    await new Promise((r) => setTimeout(r, 100));
    const next = nodesOf(await node.registry.listServices(), NODE_SERVICE, node.id);
    if (next.size !== nodes.size) stableSince = performance.now();
    nodes = next;
  }
  return nodes;
}
