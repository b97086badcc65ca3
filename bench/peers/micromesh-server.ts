/**
 * micromesh's echo server for the rpc suite, run as a child process: a node on 127.0.0.1 with an
 * in-memory registry serving `echo` (./micromesh-echo.ts). `--instances n` sets the service's
 * instance actors (default 1); `--noop-middleware` installs the no-op middleware on the node; `--ops <mode>`
 * turns on tracing or metrics (./micromesh-ops.ts).
 * Announces the node's port as ready.
 */
import { parseArgs } from 'node:util';
import { createMemoryRegistry, createNode } from '../../src/index.ts';
import { announceReady } from '../lib/child-ready.ts';
import { echoService, noopMiddleware } from './micromesh-echo.ts';
import { isOpsMode, opsOptions } from './micromesh-ops.ts';

export const ECHO_SERVER_NODE_ID = 'bench-server';

const { values } = parseArgs({ options: { instances: { type: 'string', default: '1' }, 'noop-middleware': { type: 'boolean', default: false }, ops: { type: 'string', default: 'none' } } });
const instances = Number(values.instances);
if (!Number.isInteger(instances) || instances < 1) throw new Error(`--instances wants a positive integer, got "${values.instances}"`);

if (!isOpsMode(values.ops)) throw new Error(`--ops wants none, noop, sdk or metrics, got "${values.ops}"`);
const ops = opsOptions(values.ops, true);
const middleware = values['noop-middleware'] ? [noopMiddleware] : [];
const node = await createNode({ id: ECHO_SERVER_NODE_ID, registry: createMemoryRegistry(), address: '127.0.0.1:0', middleware, ...ops.options });
await node.serve(echoService, { instances });
const port = Number(node.address.slice(node.address.lastIndexOf(':') + 1));
announceReady(port, () => node.stop().then(ops.close));
