import { createNode, defineService } from 'micromesh';

// `npx tsx examples/streaming/main.ts`: two nodes on this host's mesh (mDNS on loopback, TCP on 127.0.0.1). One
// serves `numbers`, the other opens two bidirectional streams to it: requests and replies both ways, and a slow
// consumer holding a fast producer back through credit-based flow control.
const numbers = defineService({
  name: 'numbers',
  endpoints: {
    // For each name sent, one reply in capitals; the stream ends when the client closes its side.
    'Numbers.Shout': {
      stream: async (stream) => {
        for await (const name of stream) await stream.send(String(name).toUpperCase());
      },
    },
    // One request `{ upTo }`, then the numbers 1..upTo as fast as the client takes them.
    'Numbers.Count': {
      stream: async (stream) => {
        for await (const req of stream) {
          for (let i = 1; i <= (req as { upTo: number }).upTo; i += 1) {
            produced = i;
            await stream.send(i); // waits while the client has granted no credit
          }
          return;
        }
      },
    },
  },
});
let produced = 0;

const fail = (err: unknown) => {
  console.error(`streaming example: ${String(err)}`);
  process.exit(1);
};
const server = await createNode().catch(fail);
await server.serve(numbers);
const client = await createNode().catch(fail);

const shout = await client.client.stream<string, string>('numbers', 'Numbers.Shout');
for (const name of ['ada', 'grace', 'barbara']) await shout.send(name);
shout.closeSend();
console.log(`shouted: ${(await shout.collect()).join(' ')}`);

const count = await client.client.stream<{ upTo: number }, number>('numbers', 'Numbers.Count');
await count.send({ upTo: 200 });
count.closeSend();
let received = 0;
let mostAhead = 0;
for await (const n of count) {
  received = n;
  mostAhead = Math.max(mostAhead, produced - received);
  if (n <= 50) await new Promise((r) => setTimeout(r, 2)); // a slow consumer for the first 50
}
console.log(`counted to ${received}; the producer was never more than ${mostAhead} ahead of the consumer (window 32)`);

await client.stop();
await server.stop();
