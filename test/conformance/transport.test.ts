import { createMemoryNetwork, createMemoryTransport } from '../../src/mesh/transport/memory.ts';
import { createTcpTransport } from '../../src/mesh/transport/tcp.ts';
import { closedTcpAddress, describeTransport } from './transport.ts';

describeTransport('tcp', () => ({
  create: (options) => createTcpTransport(options),
  listenAddress: '127.0.0.1:0',
  closedAddress: closedTcpAddress,
}));

describeTransport('memory', () => {
  const network = createMemoryNetwork();
  return {
    create: (options) => createMemoryTransport({ ...options, network }),
    listenAddress: 'mem://node:0',
    closedAddress: async () => 'mem://nobody',
  };
});
