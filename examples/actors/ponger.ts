import { type ActorContext, type ActorRef, createNode } from 'micromesh';

// The ponger's node: one actor, `ponger`, exposed to other nodes. Each ping is answered with a pong to its sender.
export type Ping = { type: 'ping'; n: number; replyTo: ActorRef<Pong> };
export type Pong = { type: 'pong'; n: number; from: string };

const node = await createNode().catch((err: unknown) => {
  console.error(`ponger: ${String(err)}`);
  process.exit(1);
});
const ponger = node.system.spawn(
  (msg: Ping, ctx: ActorContext<Ping>) => {
    msg.replyTo.tell({ type: 'pong', n: msg.n, from: ctx.self.address });
  },
  { name: 'ponger' },
);
node.expose(ponger); // without this, messages from other nodes are refused
console.log(`ready ${node.id}`);
process.on('SIGTERM', () => void node.stop().then(() => process.exit(0)));
