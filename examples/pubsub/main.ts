import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createNode, type DeadLetter } from 'micromesh';

// `node --import tsx examples/pubsub/main.ts`: two worker processes subscribe (a queue group and a broadcast),
// this process publishes orders over the mesh-native broker (no server to run) and reads the dead letters.
const worker = fileURLToPath(new URL('./worker.ts', import.meta.url));
const workers: ChildProcess[] = [];

function startWorker(id: string): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', worker], { env: { ...process.env, WORKER_ID: id }, stdio: ['ignore', 'pipe', 'inherit'] });
  workers.push(child);
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      console.log(`[${id}] ${line}`);
      if (line === 'ready') resolve();
    });
    child.once('exit', (code) => reject(new Error(`${id} exited with ${code}`)));
  });
}

const timer = setTimeout(() => {
  console.error('pubsub example: timed out');
  for (const w of workers) w.kill('SIGKILL');
  process.exit(1);
}, 60_000);

await Promise.all([startWorker('worker-a'), startWorker('worker-b')]);
const node = await createNode({ id: 'pubsub-publisher' });

// Dead letters are published as JSON on `micro.deadletter`, with the topic, the reason and the last error.
let letter: (l: DeadLetter) => void = () => {};
const dead = new Promise<DeadLetter>((resolve) => {
  letter = resolve;
});
await node.subscribe('micro.deadletter', (l: DeadLetter) => letter(l));

// Subscribers are found through the registry: wait until both workers' subscriptions are known here.
while ((await node.registry.getService('micromesh.broker').catch(() => [])).filter((s) => s.version !== node.id).length < 2) {
  await new Promise((r) => setTimeout(r, 50));
}

for (let id = 1; id <= 6; id++) await node.publish('orders.created', { id, total: id * 10 });
await node.publish('orders.cancelled', { id: 3 });
await node.publish('orders.created', { id: 7, total: -5 });
console.log('published 8 order events');

const l = await dead;
console.log(`dead letter: ${l.topic} order ${(l.data as { id: number }).id}, ${l.reason} after ${l.attempts} tries: ${l.error}`);

await node.stop();
for (const w of workers) w.kill('SIGTERM');
await Promise.all(workers.map((w) => (w.exitCode === null ? new Promise((r) => w.once('exit', r)) : undefined)));
clearTimeout(timer);
console.log('pubsub example finished');
