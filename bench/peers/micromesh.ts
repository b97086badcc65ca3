/**
 * micromesh as an {@link RpcImpl}: the echo server node in a child process (./micromesh-server.ts),
 * the client a second node in this process whose in-memory registry is told where the server is,
 * so no discovery runs. Calls use the JSON codec, like the other implementations.
 * {@link micromeshNoopMiddlewareImpl} is the same with the no-op middleware on both nodes, and
 * {@link micromeshLocalImpl} one node calling the echo service it serves itself (the in-process path);
 * {@link micromeshAuthImpl} and {@link micromeshTlsImpl} run it with auth (JWT + rules) or mutual TLS;
 * {@link micromeshTracedImpl}, {@link micromeshTracedSdkImpl} and {@link micromeshMetricsImpl} turn on tracing
 * or metrics on both nodes (./micromesh-ops.ts).
 * `BENCH_MICROMESH_INSTANCES` (default 1) sets the echo service's instance actors.
 */
import { createMemoryRegistry, createNode, type Middleware, type NodeOptions } from '../../src/index.ts';
import { spawnTsx } from '../lib/child-process.ts';
import type { LocalImpl, RpcClient, RpcImpl, RpcServer } from '../lib/rpc-impl.ts';
import { BENCH_NATS_URL, benchRunToken } from './nats-bench.ts';
import { ECHO_ENDPOINT, ECHO_SERVICE, echoService, noopMiddleware } from './micromesh-echo.ts';
import { type OpsMode, opsOptions } from './micromesh-ops.ts';
import { clientOptions, type Protection, serverSetup } from './micromesh-secure.ts';

const SERVER_FILE = new URL('./micromesh-server.ts', import.meta.url).pathname;
const HOST = '127.0.0.1';
const SERVER_NODE_ID = 'bench-server';
const CALL_OPTIONS = { timeoutMs: 30_000 };
// A node registers its services with a TTL (registerTtlMs, 15 s by default) and a memory registry
// expires them, but nothing refreshes them there: the local node would lose its own echo service
// 15 s after serving it. An hour outlasts any suite run.
const LOCAL_REGISTER_TTL_MS = 3_600_000;

function instances(): string {
  return process.env.BENCH_MICROMESH_INSTANCES ?? '1';
}

/** A client node whose in-memory registry holds the echo server `serverId` at `address`. */
async function echoClient(serverId: string, address: string, options: NodeOptions, after: () => Promise<unknown> = async () => {}): Promise<RpcClient> {
  const registry = createMemoryRegistry();
  await registry.register({ name: ECHO_SERVICE, version: 'latest', metadata: {}, endpoints: [], nodes: [{ id: serverId, address, metadata: {} }] });
  const node = await createNode({ ...options, registry });
  const { client } = node;
  let closed: Promise<void> | undefined;
  return {
    call: (body: unknown) => client.call(ECHO_SERVICE, ECHO_ENDPOINT, body, CALL_OPTIONS),
    close: () => {
      closed ??= node.stop().then(() => Promise.all([registry.close(), after()])).then(() => {});
      return closed;
    },
  };
}

/** Which protection (auth, mutual TLS) and operations (tracing, metrics) both nodes run with. */
interface Variant {
  protection?: Protection;
  mode?: OpsMode;
}

function remoteImpl(clientId: string, middleware: readonly Middleware[], variant: Variant = {}): RpcImpl {
  const protection = variant.protection ?? 'none';
  const mode = variant.mode ?? 'none';
  return {
    name: 'micromesh',
    async startServer(): Promise<RpcServer> {
      const secure = await serverSetup(protection);
      const args = ['--instances', instances(), '--ops', mode, ...(middleware.length > 0 ? ['--noop-middleware'] : []), ...secure.args];
      const child = await spawnTsx(SERVER_FILE, { args, env: secure.env });
      return { address: `${HOST}:${child.port}`, stop: child.stop };
    },
    async createClient(address: string): Promise<RpcClient> {
      const ops = opsOptions(mode, false);
      return echoClient(SERVER_NODE_ID, address, { id: clientId, address: `${HOST}:0`, middleware, ...(await clientOptions(protection)), ...ops.options }, ops.close);
    },
  };
}

export const micromeshImpl: RpcImpl = remoteImpl('bench-client', []);

/** The rpc suite's `echo-nats` rows: the same echo, client and server nodes on the NATS transport. */
export const micromeshNatsImpl: RpcImpl = {
  name: 'micromesh',
  async startServer(): Promise<RpcServer> {
    const id = `bench-server-${benchRunToken()}`;
    const child = await spawnTsx(SERVER_FILE, { args: ['--instances', instances(), '--transport', BENCH_NATS_URL, '--id', id] });
    return { address: `nats://${id}`, stop: child.stop };
  },
  createClient: (address: string) =>
    echoClient(address.slice('nats://'.length), address, { id: `bench-client-${benchRunToken()}`, transport: BENCH_NATS_URL }),
};

/** The rpc suite's `echo-mw` rows: {@link micromeshImpl} with the no-op middleware on the client and the server node. */
export const micromeshNoopMiddlewareImpl: RpcImpl = remoteImpl('bench-client-mw', [noopMiddleware]);

/** The rpc suite's `echo-auth` rows: both nodes with auth on; the server verifies the client's token and applies a rule on every call. */
export const micromeshAuthImpl: RpcImpl = remoteImpl('bench-client-auth', [], { protection: 'auth' });

/** The rpc suite's `echo-tls` rows: both nodes on TCP with mutual TLS. */
export const micromeshTlsImpl: RpcImpl = remoteImpl('bench-client-tls', [], { protection: 'tls' });

/** The rpc suite's `echo-traced` rows: the tracing middleware with the API's no-op tracer on both nodes. */
export const micromeshTracedImpl: RpcImpl = remoteImpl('bench-client-traced', [], { mode: 'noop' });

/** The rpc suite's `echo-traced-sdk` rows: the tracing middleware with the SDK and its batch span processor on both nodes. */
export const micromeshTracedSdkImpl: RpcImpl = remoteImpl('bench-client-traced-sdk', [], { mode: 'sdk' });

/** The rpc suite's `echo-metrics` rows: prom-client metrics on both nodes. */
export const micromeshMetricsImpl: RpcImpl = remoteImpl('bench-client-metrics', [], { mode: 'metrics' });

/** The rpc suite's `local` rows: `node.client.call` to the echo service the same node serves; memory registry and transport. */
export const micromeshLocalImpl: LocalImpl = {
  name: 'micromesh',
  async start(): Promise<RpcClient> {
    const registry = createMemoryRegistry();
    const node = await createNode({ id: 'bench-local', registry, transport: 'memory', address: 'mem://bench-local', registerTtlMs: LOCAL_REGISTER_TTL_MS });
    let closed: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closed ??= node.stop().then(() => registry.close());
      return closed;
    };
    try {
      await node.serve(echoService, { instances: Number(instances()) });
    } catch (err) {
      await close();
      throw err;
    }
    const { client } = node;
    return { call: (body: unknown) => client.call(ECHO_SERVICE, ECHO_ENDPOINT, body, CALL_OPTIONS), close };
  },
};
