/**
 * The consumer side of the events suite, run as a child process: `--impl micromesh --url <events url>`,
 * `--impl raw-nats` or `--impl raw-redis`, with `--topic` and `--group`. It consumes with an ack per event and prints
 * `count <n>` (events acked so far) every 20 ms while it changes, after a first `ready` line. Ends on SIGTERM.
 */
import { parseArgs } from 'node:util';
import { createNode } from '../../src/index.ts';

const { values } = parseArgs({ options: { impl: { type: 'string' }, url: { type: 'string' }, topic: { type: 'string' }, group: { type: 'string' }, stream: { type: 'string' } } });
const topic = values.topic as string;
const group = values.group as string;
let count = 0;
let stop: () => Promise<void> = async () => {};

if (values.impl === 'micromesh') {
  const node = await createNode({ id: 'bench-consumer', registry: 'memory', transport: 'memory', address: 'mem://bench-consumer', events: values.url });
  await node.events.consume(topic, { group, concurrency: 64, prefetch: 256 }, () => {
    count++;
  });
  stop = () => node.stop();
} else if (values.impl === 'raw-nats') {
  const { connect, AckPolicy } = await import('nats');
  const nc = await connect({ servers: '127.0.0.1:4222' });
  const stream = values.stream as string;
  const jsm = await nc.jetstreamManager();
  await jsm.consumers.add(stream, { durable_name: group, ack_policy: AckPolicy.Explicit, filter_subject: topic });
  const consumer = await nc.jetstream().consumers.get(stream, group);
  // The callback form: a socket read's messages are handled in one go, so their acks leave in one write (the
  // iterator flushes each ack on its own), the fastest nats.js consumes.
  const messages = await consumer.consume({
    max_messages: 256,
    callback: (m) => {
      JSON.parse(new TextDecoder().decode(m.data));
      m.ack();
      count++;
    },
  });
  stop = async () => {
    await messages.close();
    await nc.close();
  };
} else if (values.impl === 'raw-redis') {
  const { Redis } = await import('ioredis');
  const redis = new Redis('redis://127.0.0.1:6379');
  const key = topic;
  await redis.xgroup('CREATE', key, group, '0', 'MKSTREAM').catch(() => {});
  let running = true;
  void (async () => {
    while (running) {
      const reply = (await redis.xreadgroup('GROUP', group, 'c1', 'COUNT', 64, 'BLOCK', 200, 'STREAMS', key, '>')) as Array<[string, Array<[string, string[]]>]> | null;
      for (const [, entries] of reply ?? []) {
        const ids: string[] = [];
        for (const [id, fields] of entries) {
          JSON.parse(fields[1] as string);
          ids.push(id);
          count++;
        }
        // One XACK for the batch read: one command, one write.
        if (ids.length > 0) void redis.xack(key, group, ...ids);
      }
    }
  })();
  stop = async () => {
    running = false;
    redis.disconnect();
  };
} else {
  throw new Error(`unknown --impl ${values.impl}`);
}

let reported = -1;
setInterval(() => {
  if (count === reported) return;
  reported = count;
  process.stdout.write(`count ${count}\n`);
}, 20);
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void stop().finally(() => process.exit(0));
});
