import { createNode } from 'micromesh';
import { greeter } from './greeter.ts';

const node = await createNode().catch((err: unknown) => {
  console.error(`helloworld client: ${String(err)}`); // one line: e.g. the address is in use, or the registry is unknown
  process.exit(1);
});
const client = node.client.typed(greeter);

const reply = await client.call('Say.Hello', { name: 'Ada' }, { timeoutMs: 2000 });
console.log(reply.msg);

const stream = await client.stream('Say.Stream');
for (const name of ['Grace', 'Barbara']) await stream.send(name);
stream.closeSend();
for await (const line of stream) console.log(line);

await node.stop();
