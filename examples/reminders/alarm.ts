import { type ActorContext, createNode, type Reminder } from 'micromesh';

// An actor /user/alarm on a node whose store lives in STORE_DIR. With SET_IN_MS it sets the reminder "wake" for that
// long from now; either way it prints each reminder it receives.
const setInMs = process.env.SET_IN_MS === undefined ? undefined : Number(process.env.SET_IN_MS);
const node = await createNode({ registry: 'memory', transport: 'memory', address: 'mem://alarm', store: `file://${process.env.STORE_DIR}`, reminders: { pollMs: 100 } });
node.system.spawn(
  {
    kind: 'factory',
    create: () => ({
      async preStart(ctx: ActorContext<Reminder<{ note: string }>>) {
        if (setInMs === undefined) return console.log(`[pid ${process.pid}] alarm started; waiting for reminders`);
        await ctx.reminders.set('wake', { at: Date.now() + setInMs, payload: { note: `set by pid ${process.pid}` } });
        console.log(`[pid ${process.pid}] reminder "wake" set for ${setInMs} ms from now`);
      },
      receive(m: Reminder<{ note: string }>) {
        console.log(`[pid ${process.pid}] reminder ${m.name} fired (${m.payload.note}), ${Date.now() - m.scheduledAt} ms after it was due`);
      },
    }),
  },
  { name: 'alarm' },
);
process.on('SIGTERM', () => void node.stop().then(() => process.exit(0)));
