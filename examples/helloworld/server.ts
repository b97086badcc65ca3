import { createNode } from 'micromesh';
import { greeter } from './greeter.ts';

// Joins this host's mesh (mDNS on the loopback interface, TCP on 127.0.0.1) and serves greeter with 4 instances.
const node = await createNode().catch((err: unknown) => {
  console.error(`helloworld server: ${String(err)}`); // one line: e.g. the address is in use, or the registry is unknown
  process.exit(1);
});
await node.serve(greeter, { instances: 4 });
console.log(`greeter serving on ${node.address} as ${node.id}`);

process.on('SIGINT', () => void node.stop().then(() => process.exit(0)));
process.on('SIGTERM', () => void node.stop().then(() => process.exit(0)));
