import { createNode } from 'micromesh';

// One member of the `billing` group: bills each order once the group hands it over, and sends an order it can never
// bill straight to the dead-letter topic with term(), instead of burning its retries.
const id = process.env.WORKER_ID ?? 'worker';
const topic = process.env.ORDERS_TOPIC ?? 'shop.orders';
const node = await createNode({ id, registry: 'memory', transport: 'memory', address: `mem://${id}`, events: process.env.MICRO_EVENTS ?? 'nats://127.0.0.1:4222?storage=memory' });

interface Order {
  readonly order: number;
  readonly amount: number;
}

await node.events.consume<Order>(topic, { group: 'billing', ack: 'manual', prefetch: 1, deadLetter: process.env.DEAD_TOPIC }, async (e) => {
  if (!(e.data.amount > 0)) return e.term(`order ${e.data.order} has no amount to bill`);
  await new Promise((r) => setTimeout(r, 20)); // the work
  await e.ack();
  console.log(`billed order ${e.data.order} (sequence ${e.sequence}, key ${e.key})`);
});
console.log('ready');

process.on('SIGTERM', () => void node.stop().then(() => process.exit(0)));
