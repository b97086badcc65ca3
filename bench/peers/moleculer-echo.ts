/**
 * What every Moleculer peer shares: the `echo` service (its `action` returns its params) and a client over a
 * started broker. Imported only where bench/peers dependencies are installed.
 */
import type { Context, ServiceBroker } from 'moleculer';
import type { RpcClient } from '../lib/rpc-impl.ts';

const DISCOVERY_TIMEOUT_MS = 15_000;

/** Adds the `echo` service, whose `action` returns its params, to `broker`. */
export function addEchoService(broker: ServiceBroker, action: string): void {
  broker.createService({ name: 'echo', actions: { [action]: (ctx: Context) => ctx.params } });
}

/** Starts `broker`, waits (when `discover`) for the echo service, and calls `echo.<action>`. */
export async function echoClient(broker: ServiceBroker, action: string, discover: boolean): Promise<RpcClient> {
  await broker.start();
  if (discover) {
    try {
      await broker.waitForServices('echo', DISCOVERY_TIMEOUT_MS);
    } catch (err) {
      await broker.stop();
      throw err;
    }
  }
  let closed: Promise<void> | undefined;
  return {
    call: (body: unknown) => broker.call(`echo.${action}`, body as Record<string, unknown>),
    close: () => {
      closed ??= broker.stop();
      return closed;
    },
  };
}
