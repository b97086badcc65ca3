/** The Moleculer peer's client: a broker in this process that calls `echo.echo` on the server node. */
import type { RpcClient } from '../lib/rpc-impl.ts';
import { createBenchBroker, ECHO_SERVER_NODE_ID } from './moleculer-broker.ts';

const DISCOVERY_TIMEOUT_MS = 15_000;
let clients = 0;

/** Starts a client broker that knows the server at `address` (`host:port`) and waits for its echo service. */
export async function connectEchoClient(address: string): Promise<RpcClient> {
  clients++;
  const { broker } = createBenchBroker({
    nodeID: `micromesh-bench-client-${process.pid}-${clients}`,
    urls: `${address}/${ECHO_SERVER_NODE_ID}`,
  });
  await broker.start();
  try {
    await broker.waitForServices('echo', DISCOVERY_TIMEOUT_MS);
  } catch (err) {
    await broker.stop();
    throw err;
  }
  let closed: Promise<void> | undefined;
  return {
    call: (body: unknown) => broker.call('echo.echo', body as Record<string, unknown>),
    close: () => {
      closed ??= broker.stop();
      return closed;
    },
  };
}
