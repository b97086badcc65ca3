import net from 'node:net';
import { createMemoryNetwork, createMemoryTransport } from '../../src/mesh/transport/memory.ts';
import { createTcpTransport } from '../../src/mesh/transport/tcp.ts';
import { describeTransport } from './transport.ts';

describeTransport('tcp', () => ({
  create: (options) => createTcpTransport(options),
  listenAddress: '127.0.0.1:0',
  closedAddress: async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return `127.0.0.1:${port}`;
  },
}));

describeTransport('memory', () => {
  const network = createMemoryNetwork();
  return {
    create: (options) => createMemoryTransport({ ...options, network }),
    listenAddress: 'mem://node:0',
    closedAddress: async () => 'mem://nobody',
  };
});
