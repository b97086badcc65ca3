/** The raw-tcp ceiling as an {@link RpcImpl}: the server in a child process, the client in this one. */
import { spawnTsx } from '../lib/child-process.ts';
import type { RpcClient, RpcImpl, RpcServer } from '../lib/rpc-impl.ts';
import { RawTcpClient } from './raw-tcp-client.ts';

const SERVER_FILE = new URL('./raw-tcp-server.ts', import.meta.url).pathname;
const HOST = '127.0.0.1';

export const rawTcpImpl: RpcImpl = {
  name: 'raw-tcp',
  async startServer(): Promise<RpcServer> {
    const child = await spawnTsx(SERVER_FILE);
    return { address: `${HOST}:${child.port}`, stop: child.stop };
  },
  async createClient(address: string): Promise<RpcClient> {
    const port = Number(address.slice(address.lastIndexOf(':') + 1));
    return RawTcpClient.connect(HOST, port);
  },
};
