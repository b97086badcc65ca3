/**
 * Moleculer brokers on the NATS transporter for the rpc suite's `echo-nats` case: JSON serializer, warn-level logs,
 * no metrics or tracing, like the TCP ones in ./moleculer-broker.ts.
 */
import { ServiceBroker } from 'moleculer';
import type { RpcClient } from '../lib/rpc-impl.ts';
import { echoClient } from './moleculer-echo.ts';
import { BENCH_NATS_URL } from './nats-bench.ts';

export function createNatsBenchBroker(nodeID: string, namespace: string): ServiceBroker {
  return new ServiceBroker({
    namespace,
    nodeID,
    transporter: { type: 'NATS', options: { url: BENCH_NATS_URL } },
    serializer: 'JSON',
    logger: { type: 'Console', options: { level: 'warn' } },
    metrics: false,
    tracing: false,
    requestTimeout: 30_000,
  });
}

/** A client broker in `namespace` that waits for the server's echo service. */
export function connectNatsEchoClient(namespace: string): Promise<RpcClient> {
  return echoClient(createNatsBenchBroker(`client-${process.pid}`, namespace), 'echo', true);
}
