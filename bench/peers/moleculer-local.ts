/**
 * The Moleculer peer of the rpc suite's `local` case: one broker with no transporter, serving an
 * `echo` service whose `call` action returns its params, called in-process with
 * `broker.call('echo.call', body)`. Loaded through a dynamic import (see ./moleculer.ts).
 */
import type { RpcClient } from '../lib/rpc-impl.ts';
import { createLocalBroker } from './moleculer-broker.ts';
import { addEchoService, echoClient } from './moleculer-echo.ts';

export function startLocalEcho(): Promise<RpcClient> {
  const broker = createLocalBroker(`micromesh-bench-local-${process.pid}`);
  addEchoService(broker, 'call');
  return echoClient(broker, 'call', false);
}
