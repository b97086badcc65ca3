/**
 * The Moleculer peer of the rpc suite's `local` case: one broker with no transporter, serving an
 * `echo` service whose `call` action returns its params, called in-process with
 * `broker.call('echo.call', body)`. Loaded through a dynamic import (see ./moleculer.ts).
 */
import type { Context } from 'moleculer';
import type { RpcClient } from '../lib/rpc-impl.ts';
import { createLocalBroker } from './moleculer-broker.ts';

export async function startLocalEcho(): Promise<RpcClient> {
  const broker = createLocalBroker(`micromesh-bench-local-${process.pid}`);
  broker.createService({
    name: 'echo',
    actions: {
      call(ctx: Context) {
        return ctx.params;
      },
    },
  });
  await broker.start();
  let closed: Promise<void> | undefined;
  return {
    call: (body: unknown) => broker.call('echo.call', body as Record<string, unknown>),
    close: () => {
      closed ??= broker.stop();
      return closed;
    },
  };
}
