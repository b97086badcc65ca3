import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createNode, DeadLetterKey } from 'micromesh';

// Event streams on NATS JetStream (or MICRO_EVENTS=redis://127.0.0.1:6379): a consumer group split across two
// worker processes, a poison order landing in the dead-letter topic, and a replay from a sequence.
const events = process.env.MICRO_EVENTS ?? 'nats://127.0.0.1:4222?storage=memory';
const run = `shop-${Math.random().toString(36).slice(2, 8)}`; // a fresh namespace per run
const topic = `${run}.orders`;
const dead = `${run}.dead`;
const children: ChildProcess[] = [];
const billed: Record<string, number> = {};

function startWorker(id: string): Promise<void> {
  const env = { ...process.env, WORKER_ID: id, ORDERS_TOPIC: topic, DEAD_TOPIC: dead, MICRO_EVENTS: events };
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./worker.ts', import.meta.url))], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line === 'ready') return resolve();
      if (line.startsWith('billed')) billed[id] = (billed[id] ?? 0) + 1;
      console.log(`[${id}] ${line}`);
    });
    child.once('exit', (code) => reject(new Error(`${id} exited with ${code}`)));
  });
}

const timer = setTimeout(() => {
  console.error('events example did not finish in 60 s');
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
}, 60_000);

const node = await createNode({ id: 'shop', registry: 'memory', transport: 'memory', address: 'mem://shop', events });
try {
  await Promise.all([startWorker('worker-a'), startWorker('worker-b')]);
  const sequences: number[] = [];
  for (let order = 1; order <= 12; order++) {
    const amount = order === 7 ? 0 : order * 10; // order 7 is poison: nothing to bill
    sequences.push(await node.events.publish(topic, { order, amount }, { key: `customer-${order % 3}`, id: `order-${order}` }));
  }
  console.log(`published 12 orders to ${topic}`);

  const letters: string[] = [];
  await node.events.consume(dead, { group: 'ops' }, (e) => {
    letters.push(`dead letter: order ${(e.data as { order: number }).order} from ${e.metadata[DeadLetterKey.Topic]} sequence ${e.metadata[DeadLetterKey.Sequence]} after ${e.metadata[DeadLetterKey.Deliveries]} delivery: ${e.metadata[DeadLetterKey.Error]}`);
  });
  while (Object.values(billed).reduce((a, b) => a + b, 0) < 11 || letters.length < 1) await new Promise((r) => setTimeout(r, 20));
  console.log(`billing split over the group: ${JSON.stringify(billed)}`);
  console.log(letters[0]);

  const replayed: number[] = [];
  await node.events.consume(topic, { group: 'replay', from: sequences[9] }, (e) => void replayed.push((e.data as { order: number }).order));
  while (replayed.length < 3) await new Promise((r) => setTimeout(r, 20));
  console.log(`replay from sequence ${sequences[9]}: orders ${replayed.join(', ')}`);
  console.log('events example finished');
} finally {
  clearTimeout(timer);
  for (const c of children) c.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  await node.stop();
}
