import { createNode, defineService } from 'micromesh';

// One greeter server of the demo. Its replies name the node that served them.
const node = await createNode({ id: process.env.DEMO_NODE_ID });
const greeter = defineService({
  name: 'greeter',
  version: '1.0.0',
  endpoints: {
    'Say.Hello': { idempotent: true, handler: (req: { name: string }) => ({ msg: `Hello ${req.name}`, servedBy: node.id }) },
    'Say.Stream': {
      stream: async (stream) => {
        for await (const name of stream) await stream.send({ msg: `Hello ${name as string}`, servedBy: node.id });
      },
    },
  },
});
await node.serve(greeter, { instances: 2 });
console.log(`ready ${node.id} ${node.address}`);
process.on('SIGTERM', () => void node.stop().then(() => process.exit(0)));
