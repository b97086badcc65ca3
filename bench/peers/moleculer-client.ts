/** The Moleculer peer's client: a broker in this process that calls `echo.echo` on the server node. */
import type { RpcClient } from '../lib/rpc-impl.ts';
import { createBenchBroker, ECHO_SERVER_NODE_ID } from './moleculer-broker.ts';
import { echoClient } from './moleculer-echo.ts';

let clients = 0;

/** Starts a client broker that knows the server at `address` (`host:port`) and waits for its echo service. */
export function connectEchoClient(address: string): Promise<RpcClient> {
  clients++;
  const { broker } = createBenchBroker({
    nodeID: `micromesh-bench-client-${process.pid}-${clients}`,
    urls: `${address}/${ECHO_SERVER_NODE_ID}`,
  });
  return echoClient(broker, 'echo', true);
}
