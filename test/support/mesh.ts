import { createRecordingLogger, type RecordingLogger } from '../../src/actors/index.ts';
import { createNode, type MeshNode } from '../../src/mesh/node.ts';
import type { NodeOptions } from '../../src/mesh/node-options.ts';
import { createMemoryRegistry } from '../../src/mesh/registry/memory.ts';
import { createMemoryNetwork, createMemoryTransport } from '../../src/mesh/transport/memory.ts';

/** Nodes in one process sharing a memory registry and network; `close()` stops them all. */
export function memoryMesh() {
  const registry = createMemoryRegistry();
  const network = createMemoryNetwork();
  const nodes: MeshNode[] = [];
  const logs = new Map<string, RecordingLogger>();
  return {
    registry,
    network,
    logs,
    async node(id: string, options: NodeOptions = {}): Promise<MeshNode> {
      const logger = createRecordingLogger();
      logs.set(id, logger);
      const node = await createNode({ id, registry, transport: createMemoryTransport({ network }), address: `mem://${id}`, logger, ...options });
      nodes.push(node);
      return node;
    },
    async close(): Promise<void> {
      await Promise.all(nodes.splice(0).map((n) => n.stop()));
    },
  };
}
