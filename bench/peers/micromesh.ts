/**
 * micromesh as an {@link RpcImpl}: the echo server node in a child process (./micromesh-server.ts),
 * the client a second node in this process whose in-memory registry is told where the server is,
 * so no discovery runs. Calls use the JSON codec, like the other implementations.
 * `BENCH_MICROMESH_INSTANCES` (default 1) sets the server's instance actors.
 */
import { createMemoryRegistry, createNode } from '../../src/index.ts';
import { spawnTsx } from '../lib/child-process.ts';
import type { RpcClient, RpcImpl, RpcServer } from '../lib/rpc-impl.ts';

const SERVER_FILE = new URL('./micromesh-server.ts', import.meta.url).pathname;
const HOST = '127.0.0.1';
const SERVER_NODE_ID = 'bench-server';
const CALL_OPTIONS = { timeoutMs: 30_000 };

export const micromeshImpl: RpcImpl = {
  name: 'micromesh',
  async startServer(): Promise<RpcServer> {
    const instances = process.env.BENCH_MICROMESH_INSTANCES ?? '1';
    const child = await spawnTsx(SERVER_FILE, { args: ['--instances', instances] });
    return { address: `${HOST}:${child.port}`, stop: child.stop };
  },
  async createClient(address: string): Promise<RpcClient> {
    const registry = createMemoryRegistry();
    await registry.register({ name: 'echo', version: 'latest', metadata: {}, endpoints: [], nodes: [{ id: SERVER_NODE_ID, address, metadata: {} }] });
    const node = await createNode({ id: 'bench-client', registry, address: `${HOST}:0` });
    const { client } = node;
    let closed: Promise<void> | undefined;
    return {
      call: (body: unknown) => client.call('echo', 'Echo.Call', body, CALL_OPTIONS),
      close: () => {
        closed ??= node.stop().then(() => registry.close());
        return closed;
      },
    };
  },
};
