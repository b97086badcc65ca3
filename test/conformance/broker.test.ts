import assert from 'node:assert/strict';
import { MemoryBrokerHub } from '../../src/mesh/broker/memory.ts';
import type { MeshNode } from '../../src/mesh/mesh-node.ts';
import { createNode } from '../../src/plugins/node.ts';
import { createMemoryRegistry } from '../../src/mesh/registry/memory.ts';
import { createMemoryNetwork, createMemoryTransport } from '../../src/mesh/transport/memory.ts';
import { engineAvailable } from '../support/engines.ts';
import { eventually } from '../support/wait.ts';
import { type BrokerUnderTest, describeBroker } from './broker.ts';

/** Nodes on a memory registry and network, each with the broker `broker` chose. */
function nodes(broker: (id: string) => Parameters<typeof createNode>[0]): BrokerUnderTest {
  const registry = createMemoryRegistry();
  const network = createMemoryNetwork();
  const made: MeshNode[] = [];
  return {
    async node(id, options = {}) {
      const node = await createNode({ id, registry, transport: createMemoryTransport({ network }), address: `mem://${id}`, ...broker(id), ...options });
      made.push(node);
      return node;
    },
    async settled(publisher, remote) {
      const broker = publisher.broker as unknown as { knownRemote?: () => Promise<number> };
      if (broker.knownRemote === undefined) return;
      const knownRemote = broker.knownRemote.bind(broker);
      await eventually(async () => assert.ok((await knownRemote()) >= remote, `${publisher.id} did not learn of ${remote} remote subscriptions within 5 s`));
    },
    async close() {
      await Promise.all(made.splice(0).map((n) => n.stop()));
    },
  };
}

describeBroker('memory', async () => {
  const hub = new MemoryBrokerHub();
  return nodes(() => ({ broker: 'memory', brokerOptions: { memory: { hub } } }));
});

describeBroker('mesh', async () => nodes(() => ({ broker: 'mesh' })));

describeBroker('nats', async () => ((await engineAvailable('NATS', 4222)) ? nodes(() => ({ broker: 'nats://127.0.0.1:4222' })) : undefined));

describeBroker('redis', async () => ((await engineAvailable('Redis', 6379)) ? nodes(() => ({ broker: 'redis://127.0.0.1:6379' })) : undefined));
