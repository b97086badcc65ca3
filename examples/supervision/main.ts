import { type ActorContext, createNode, createSupervisor, defineService, MicroError, type SupervisorInfo } from 'micromesh';

// `npx tsx examples/supervision/main.ts`: a supervised tree on one node. A rest_for_one supervisor over db, cache
// and worker: when cache crashes, cache and the worker started after it are restarted, db is left alone. Then a
// service whose handler throws: the caller gets a 500, the instance is restarted, the next call is served.
type Msg = { type: 'crash' } | { type: 'work' };

class Part {
  receive(msg: Msg, _ctx: ActorContext<Msg>) {
    if (msg.type === 'crash') throw new Error('cache corrupted'); // a failure is a message to the supervisor
  }
}

const node = await createNode().catch((err: unknown) => {
  console.error(`supervision example: ${String(err)}`);
  process.exit(1);
});
const app = node.system.spawn(
  createSupervisor({
    strategy: 'rest_for_one',
    maxRestarts: 3,
    withinMs: 5000,
    children: [
      { id: 'db', start: Part },
      { id: 'cache', start: Part },
      { id: 'worker', start: Part },
    ],
  }),
  { name: 'app' },
);
const show = (info: SupervisorInfo) => info.children.map((c) => `${c.id}#${c.address.split("#")[1]} (${c.restarts} restarts)`).join(", ");
console.log(`tree before: ${show(await app.ask({ type: 'inspect' }))}`);
node.system.ref<Msg>(`mesh://${node.id}/user/app/cache`).tell({ type: 'crash' });
let after = await app.ask({ type: 'inspect' });
while (after.state !== 'running' || show(after) === '') after = await app.ask({ type: 'inspect' });
console.log(`tree after cache crashed: ${show(after)}`);

const orders = defineService({
  name: 'orders',
  endpoints: {
    'Orders.Place': (req: { item: string }) => {
      if (req.item === 'poison') throw new Error('cannot place poison'); // a bug: 500, and the instance restarts
      if (req.item === '') throw new MicroError('BAD_REQUEST', 'an order needs an item'); // an answer, not a failure
      return { placed: req.item };
    },
  },
});
await node.serve(orders, { instances: 2 });
for (const item of ['tea', 'poison', '', 'cake']) {
  const reply = await node.client.call('orders', 'Orders.Place', { item }).catch((err: MicroError) => `${err.code} ${err.detail}`);
  console.log(`order ${JSON.stringify(item)}: ${JSON.stringify(reply)}`);
}
const tree = await node.inspect();
console.log(`node tree: ${tree.children.map((c) => c.id).join(' ')}`);
await node.stop();
