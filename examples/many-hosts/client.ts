import { createNode } from 'micromesh';
import { greeter } from '../helloworld/greeter.ts';

// Finds greeter through whatever registry MICRO_REGISTRY names, and calls it over TCP.
const node = await createNode().catch((err: unknown) => {
  console.error(`many-hosts client: ${String(err)}`);
  process.exit(1);
});
const reply = await node.client.typed(greeter).call('Say.Hello', { name: 'Ada' }, { timeoutMs: 2000 });
console.log(`${reply.msg} (found through ${node.registry.name})`);
await node.stop();
