import { createNode, defineService } from 'micromesh';

// One worker process: bills orders as a member of queue group `billing` (each order is billed by one worker),
// and audits every order event (broadcast: every worker sees each one). An order with a negative total makes the
// handler throw: the subscription is restarted, the order retried, then dead-lettered on `micro.deadletter`.
const id = process.env.WORKER_ID ?? 'worker';

const billing = defineService({
  name: 'billing',
  endpoints: {},
  subscriptions: {
    'orders.created': {
      queue: 'billing',
      maxAttempts: 2,
      handler: (order: { id: number; total: number }, d) => {
        if (order.total < 0) throw new Error(`order ${order.id} has a negative total (try ${d.attempt})`);
        console.log(`billed order ${order.id} (${order.total} EUR)`);
      },
    },
    'orders.*': (event: { id: number }, d) => console.log(`audit ${d.topic} ${event.id} from ${d.source}`),
  },
});

const node = await createNode({ id: `pubsub-${id}` });
await node.serve(billing);
console.log('ready');

process.on('SIGTERM', () => void node.stop().then(() => process.exit(0)));
