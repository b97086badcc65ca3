import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { connect } from 'nats';
import { engineAvailable, runId } from '../support/engines.ts';

const run = promisify(execFile);

function checkOutput(stdout: string): void {
  const split = /billing split over the group: (\{.*\})/.exec(stdout);
  assert.ok(split, stdout);
  const byWorker = JSON.parse(split[1] as string) as Record<string, number>;
  assert.deepEqual(Object.keys(byWorker).sort(), ['worker-a', 'worker-b'], 'both processes of the group billed orders');
  assert.equal(Object.values(byWorker).reduce((a, b) => a + b, 0), 11, 'every good order billed once');
  assert.match(stdout, /dead letter: order 7 from shop-\w+\.orders sequence \d+ after 1 delivery: terminated: order 7 has no amount to bill/);
  assert.match(stdout, /replay from sequence \d+: orders 10, 11, 12/);
  assert.match(stdout, /events example finished/);
}

test('examples — events on JetStream: a group split over two processes, a poison order dead-lettered, a replay from a sequence', async (t) => {
  if (!(await engineAvailable('NATS', 4222))) return t.skip('NATS not available');
  const nc = await connect({ servers: '127.0.0.1:4222' });
  const jsm = await nc.jetstreamManager();
  const before = new Set<string>();
  for await (const s of jsm.streams.list()) before.add(s.config.name);
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/events/main.ts'], { timeout: 90_000 });
    checkOutput(stdout);
  } finally {
    // The example's streams, and the buckets of per-key order when this run made them.
    const made = (name: string) => name.startsWith('EVENTS_shop-') || name === 'KV_EVENTS_KEYS' || name === 'KV_EVENTS_TURNS';
    for await (const s of jsm.streams.list()) if (!before.has(s.config.name) && made(s.config.name)) await jsm.streams.delete(s.config.name);
    await nc.close();
  }
});

test('examples — events on Redis Streams, chosen by MICRO_EVENTS', async (t) => {
  if (!(await engineAvailable('Redis', 6379))) return t.skip('Redis not available');
  const prefix = runId();
  try {
    const env = { ...process.env, MICRO_EVENTS: `redis://127.0.0.1:6379?prefix=${prefix}` };
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/events/main.ts'], { timeout: 90_000, env });
    checkOutput(stdout);
  } finally {
    const redis = new Redis('redis://127.0.0.1:6379');
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
});
