/**
 * micromesh's echo server for the rpc suite, run as a child process: a node on 127.0.0.1 with an
 * in-memory registry serving `echo` (`Echo.Call` returns its request). `--instances n` sets the
 * service's instance actors (default 1). Announces the node's port as ready.
 */
import { parseArgs } from 'node:util';
import { createMemoryRegistry, createNode, defineService } from '../../src/index.ts';
import { announceReady } from '../lib/child-ready.ts';

export const ECHO_SERVER_NODE_ID = 'bench-server';

const { values } = parseArgs({ options: { instances: { type: 'string', default: '1' } } });
const instances = Number(values.instances);
if (!Number.isInteger(instances) || instances < 1) throw new Error(`--instances wants a positive integer, got "${values.instances}"`);

const node = await createNode({ id: ECHO_SERVER_NODE_ID, registry: createMemoryRegistry(), address: '127.0.0.1:0' });
await node.serve(defineService({ name: 'echo', endpoints: { 'Echo.Call': (req: unknown) => req } }), { instances });
const port = Number(node.address.slice(node.address.lastIndexOf(':') + 1));
announceReady(port, () => node.stop());
