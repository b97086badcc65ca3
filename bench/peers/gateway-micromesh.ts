/**
 * micromesh's API gateway for the gateway suite, run as a child process. Without arguments the node behind the
 * gateway serves `echo` itself (HTTP → in-process call); with `--remote` the echo service runs in a second child
 * (./gateway-echo-node.ts) and each request crosses TCP to it. The two find each other by mDNS on a private port
 * (MICRO_MDNS_PORT). Announces the gateway's HTTP port as ready.
 */
import { parseArgs } from 'node:util';
import { createApiGateway, createNode } from '../../src/index.ts';
import { announceReady } from '../lib/child-ready.ts';
import { echoService } from './micromesh-echo.ts';

const { values } = parseArgs({ options: { remote: { type: 'boolean', default: false } } });
const node = await createNode({ id: 'bench-gateway', address: '127.0.0.1:0', ...(values.remote ? {} : { registry: 'memory' }) });
if (!values.remote) await node.serve(echoService);
else while (!(await node.registry.getService('echo').then((s) => s.length > 0, () => false))) await new Promise((r) => setTimeout(r, 50));
const api = await createApiGateway(node, { address: '127.0.0.1:0', mcp: false, websocket: false });
announceReady(Number(api.address.slice(api.address.lastIndexOf(':') + 1)), async () => {
  await api.close();
  await node.stop();
});
