import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type ActorContext, createNode, NODE_SERVICE } from 'micromesh';
import type { Ping, Pong } from './ponger.ts';

// `npx tsx examples/actors/main.ts`: starts ponger.ts as a second process (a second node), then a pinger actor
// here sends it pings with a ref to itself inside each message; the ponger answers each one with a tell to that ref.
const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./ponger.ts', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
const pongerNode = await new Promise<string>((resolve, reject) => {
  createInterface({ input: child.stdout }).on('line', (line) => line.startsWith('ready ') && resolve(line.slice(6)));
  child.once('exit', (code) => reject(new Error(`ponger exited with ${code}`)));
});

const node = await createNode();
// Nodes find each other through the registry: wait until this node sees the ponger's.
const sees = async () => (await node.registry.getService(NODE_SERVICE).catch(() => [])).some((s) => s.nodes.some((n) => n.id === pongerNode));
while (!(await sees())) await new Promise((r) => setTimeout(r, 50));
const ponger = node.ref<Ping>(`mesh://${pongerNode}/user/ponger`);
let finished = (): void => {};
const done = new Promise<void>((resolve) => {
  finished = resolve;
});
const pinger = node.system.spawn(
  (msg: Pong, ctx: ActorContext<Pong>) => {
    console.log(`pong ${msg.n} from ${msg.from.replace(/#\d+$/, '')}`);
    if (msg.n < 3) ponger.tell({ type: 'ping', n: msg.n + 1, replyTo: ctx.self });
    else finished();
  },
  { name: 'pinger' },
);
console.log(`${node.id} pings ${pongerNode}`);
ponger.tell({ type: 'ping', n: 1, replyTo: pinger });
await done;

child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
await node.stop();
console.log('three pings, three pongs, across two processes');
