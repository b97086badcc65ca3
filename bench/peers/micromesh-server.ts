/**
 * micromesh's echo server for the rpc suite, run as a child process: a node on 127.0.0.1 with an
 * in-memory registry serving `echo` (./micromesh-echo.ts). `--instances n` sets the service's
 * instance actors (default 1); `--noop-middleware` installs the no-op middleware on the node; `--transport` (a URL,
 * default `tcp`) and `--id` put it on another transport under another node id; `--auth` turns auth on (keys from
 * MICRO_AUTH_PRIVATE_KEY); `--tls-dir <dir>` serves over mutual TLS with the certificates there; `--ops <mode>` turns
 * on tracing or metrics (./micromesh-ops.ts).
 * Announces the node's port as ready.
 */
import { parseArgs } from 'node:util';
import { createMemoryRegistry, createNode } from '../../src/index.ts';
import { announceReady } from '../lib/child-ready.ts';
import { echoService, noopMiddleware } from './micromesh-echo.ts';
import { isOpsMode, opsOptions } from './micromesh-ops.ts';
import { ECHO_RULES, tlsTransport } from './micromesh-secure.ts';

export const ECHO_SERVER_NODE_ID = 'bench-server';

const { values } = parseArgs({
  options: {
    instances: { type: 'string', default: '1' },
    'noop-middleware': { type: 'boolean', default: false },
    transport: { type: 'string', default: 'tcp' },
    id: { type: 'string', default: ECHO_SERVER_NODE_ID },
    auth: { type: 'boolean', default: false },
    'tls-dir': { type: 'string' },
    ops: { type: 'string', default: 'none' },
  },
});
const instances = Number(values.instances);
if (!Number.isInteger(instances) || instances < 1) throw new Error(`--instances wants a positive integer, got "${values.instances}"`);

const middleware = values['noop-middleware'] ? [noopMiddleware] : [];
if (!isOpsMode(values.ops)) throw new Error(`--ops wants none, noop, sdk or metrics, got "${values.ops}"`);
const ops = opsOptions(values.ops, true);
const tlsDir = values['tls-dir'];
const node = await createNode({
  id: values.id,
  registry: createMemoryRegistry(),
  address: '127.0.0.1:0',
  middleware,
  transport: tlsDir === undefined ? values.transport : tlsTransport(tlsDir, 'ledger'),
  ...(values.auth ? { auth: 'jwt', authOptions: { rules: ECHO_RULES } } : {}),
  ...ops.options,
});
await node.serve(echoService, { instances });
// Over NATS there is no port: the client dials nats://<id>.
const port = values.transport === 'tcp' ? Number(node.address.slice(node.address.lastIndexOf(':') + 1)) : 0;
announceReady(port, () => node.stop().then(ops.close));
