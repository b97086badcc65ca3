/**
 * moleculer-web in front of Moleculer for the gateway suite, run as a child process: an ApiGateway service with
 * the REST alias `POST /echo/Echo.Call` → action `echo.echo`, JSON body parser. Without arguments the `echo` service
 * lives in the same broker; with `--remote <port>` it is the rpc suite's Moleculer echo server
 * (./moleculer-server.ts) listening on that port, reached over Moleculer's TCP transporter. Announces the HTTP port.
 */
import { parseArgs } from 'node:util';
import type { Context } from 'moleculer';
import ApiGateway from 'moleculer-web';
import { announceReady } from '../lib/child-ready.ts';
import { createBenchBroker, ECHO_SERVER_NODE_ID } from './moleculer-broker.ts';

const { values } = parseArgs({ options: { remote: { type: 'string' } } });
const { broker } = createBenchBroker({ nodeID: 'micromesh-bench-web', ...(values.remote === undefined ? {} : { urls: `127.0.0.1:${values.remote}/${ECHO_SERVER_NODE_ID}` }) });
if (values.remote === undefined) {
  broker.createService({
    name: 'echo',
    actions: {
      echo(ctx: Context) {
        return ctx.params;
      },
    },
  });
}
const web = broker.createService({
  name: 'api',
  mixins: [ApiGateway],
  settings: {
    port: 0,
    ip: '127.0.0.1',
    logRequest: false,
    logResponse: false,
    routes: [{ path: '/', aliases: { 'POST echo/Echo.Call': 'echo.echo' }, bodyParsers: { json: true }, mappingPolicy: 'restrict' }],
  },
});
await broker.start();
if (values.remote !== undefined) await broker.waitForServices(['echo'], 10_000);
const server = (web as unknown as { server: { address(): { port: number } } }).server;
announceReady(server.address().port, () => broker.stop());
