import { createNode } from 'micromesh';
import { greeter } from '../helloworld/greeter.ts';

// The helloworld greeter, unchanged. Where it registers is the environment's choice, so the same code runs on one
// host (mDNS, the default) or on many: MICRO_REGISTRY=nats://127.0.0.1:4222 or MICRO_REGISTRY=redis://127.0.0.1:6379.
const node = await createNode().catch((err: unknown) => {
  console.error(`many-hosts server: ${String(err)}`); // one line: e.g. the registry's server is unreachable
  process.exit(1);
});
await node.serve(greeter, { instances: 2 });
console.log(`greeter serving on ${node.address} as ${node.id}, registry ${node.registry.name}`);

process.on('SIGINT', () => void node.stop().then(() => process.exit(0)));
process.on('SIGTERM', () => void node.stop().then(() => process.exit(0)));
