import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import type { StoredDelivery } from '../../src/mesh/events/events.ts';
import { createRedisEvents } from '../../src/plugins/redis/events.ts';
import { engineAvailable, runId } from '../support/engines.ts';

let redis: Redis | undefined;
const prefix = runId();

before(async () => {
  if (!(await engineAvailable('Redis', 6379))) return;
  redis = new Redis('redis://127.0.0.1:6379');
  await redis.ping();
});
after(async () => {
  if (redis === undefined) return;
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

/** Counts the writes `client`'s socket hands to the system (one per command, or one for all the commands corked together). */
async function writesDuring(client: Redis, fn: () => Promise<unknown>): Promise<number> {
  type Writer = (...args: unknown[]) => unknown;
  const socket = client.stream as unknown as { _write: Writer; _writev: Writer };
  const { _write: write, _writev: writev } = socket;
  let writes = 0;
  socket._write = function (this: unknown, ...args: unknown[]) {
    writes++;
    return write.apply(this, args);
  };
  socket._writev = function (this: unknown, ...args: unknown[]) {
    writes++;
    return writev.apply(this, args);
  };
  try {
    await fn();
  } finally {
    socket._write = write;
    socket._writev = writev;
  }
  return writes;
}

test('redis events — publishes made together, and the acks of a batch, leave in a write or two, not one each', { timeout: 20_000 }, async (t) => {
  if (redis === undefined) return t.skip('Redis is not reachable');
  const client = redis;
  const backend = createRedisEvents({ value: client, release: async () => {} }, { prefix });
  const event = (i: number) => ({ topic: 'writes', id: `e${i}`, dedupe: false, type: 'writes', source: 'test', key: undefined, time: Date.now(), contentType: 'application/json', metadata: {}, data: new TextEncoder().encode(String(i)) });
  const source = await backend.open('writes', { group: 'g', from: 'first', ackWaitMs: 30_000, prefetch: 100, member: 'm1' });
  try {
    let sequences: number[] = [];
    const publishWrites = await writesDuring(client, async () => {
      sequences = await Promise.all(Array.from({ length: 50 }, (_, i) => backend.append(event(i))));
    });
    assert.equal(new Set(sequences).size, 50);
    assert.ok(publishWrites <= 2, `50 publishes in ${publishWrites} writes`);
    const deliveries: StoredDelivery[] = [];
    while (deliveries.length < 50) deliveries.push(...(await source.next(50 - deliveries.length)));
    const ackWrites = await writesDuring(client, () => Promise.all(deliveries.map((d) => d.ack(false))));
    assert.ok(ackWrites <= 2, `50 acks in ${ackWrites} writes`);
    const pending = (await client.xpending(`${prefix}:writes`, 'g')) as [number, ...unknown[]];
    assert.equal(pending[0], 0, 'every ack reached Redis');
  } finally {
    await backend.close();
  }
});
