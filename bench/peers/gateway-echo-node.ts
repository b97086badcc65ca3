/** The echo service behind micromesh's gateway in the gateway suite's `remote` case: mDNS on MICRO_MDNS_PORT. */
import { createNode } from '../../src/index.ts';
import { announceReady } from '../lib/child-ready.ts';
import { echoService } from './micromesh-echo.ts';

const node = await createNode({ id: 'bench-echo', address: '127.0.0.1:0' });
await node.serve(echoService, { instances: 4 });
announceReady(Number(node.address.slice(node.address.lastIndexOf(':') + 1)), () => node.stop());
