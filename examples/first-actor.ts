import { type ActorContext, type Ask, createActorSystem, createSupervisor } from 'micromesh';

type CounterMsg = { type: 'inc' } | ({ type: 'get' } & Ask<number>) | { type: 'crash' };

class Counter {
  n = 0;
  receive(msg: CounterMsg, ctx: ActorContext<CounterMsg>) {
    if (msg.type === 'inc') this.n++;
    else if (msg.type === 'get') ctx.reply(this.n);
    else throw new Error('crash'); // a failure: the supervisor restarts the counter with fresh state
  }
}

const system = createActorSystem();
const app = system.spawn(
  createSupervisor({ strategy: 'one_for_one', maxRestarts: 3, withinMs: 5000, children: [{ id: 'counter', start: Counter }] }),
  { name: 'app' },
);
const { children } = await app.ask({ type: 'inspect' }); // answered once the children have started
console.log('children:', children.map((c) => c.address).join(', '));
const counter = system.ref<CounterMsg>(`mesh://${system.nodeId}/user/app/counter`);
counter.tell({ type: 'inc' });
const n: number = await counter.ask({ type: 'get' }, { timeoutMs: 1000 }); // the reply type is inferred
counter.tell({ type: 'crash' });
console.log(n, await counter.ask({ type: 'get' })); // 1 0: same address, fresh state
await system.terminate();
