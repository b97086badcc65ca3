import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import * as nats from 'nats';
import { filenameSafe } from '../../src/plugins/nats/events.ts';
import { createRedisEvents } from '../../src/plugins/redis/events.ts';
import { frontOf, until } from '../conformance/events.ts';
import { engineAvailable, runId } from '../support/engines.ts';
import { jetStreamFront } from '../support/jetstream.ts';

// Per-key order across processes, when the member holding a key's event dies: another member takes the event over
// after the ack wait and runs it before the events after it with its key, which waited meanwhile. The dead member is
// a plain client that took the event and went silent.

async function orderAfterTakeover(front: ReturnType<typeof frontOf>, topic: string, group: string): Promise<number[]> {
  const handled: number[] = [];
  // Two slots, both soon taken by events waiting for the abandoned one: the member has to take it over to go on.
  await front.events.consume(topic, { group, ackWaitMs: 600, concurrency: 2, prefetch: 2 }, (e) => {
    handled.push((e.data as { n: number }).n);
  });
  await until('the three events', () => handled.length === 3, 10_000);
  return handled;
}

test('redis events — a key\'s event held by a member that died is taken over, and the later events of its key wait for it', { timeout: 30_000 }, async (t) => {
  if (!(await engineAvailable('Redis', 6379))) return t.skip('Redis is not reachable');
  const prefix = runId();
  const topic = 'orders';
  const stream = `${prefix}:${topic}`;
  const raw = new Redis('redis://127.0.0.1:6379');
  const client = new Redis('redis://127.0.0.1:6379');
  const front = frontOf(createRedisEvents({ value: client, release: async () => client.disconnect() }, { prefix, pollMs: 200 }));
  try {
    await raw.xgroup('CREATE', stream, 'billing', '0', 'MKSTREAM');
    for (const n of [1, 2, 3]) await front.events.publish(topic, { n }, { key: 'customer-7' });
    const taken = (await raw.xreadgroup('GROUP', 'billing', 'ghost', 'COUNT', 1, 'STREAMS', stream, '>')) as Array<[string, Array<[string, string[]]>]>;
    assert.equal(taken[0]?.[1].length, 1, 'the dead member took the first event');
    const fields = taken[0]?.[1][0]?.[1] ?? [];
    assert.equal(fields[fields.indexOf('prev') + 1], '', 'the first event of a key has an empty prev');
    assert.deepEqual(await orderAfterTakeover(front, topic, 'billing'), [1, 2, 3]);
  } finally {
    await front.close();
    const keys = await raw.keys(`${prefix}:*`);
    if (keys.length > 0) await raw.del(...keys);
    raw.disconnect();
  }
});

test('jetstream events — a key\'s event held by a member that died is taken over, and the later events of its key wait for it', { timeout: 30_000 }, async (t) => {
  if (!(await engineAvailable('NATS', 4222))) return t.skip('NATS is not reachable');
  const id = runId();
  const prefix = `EVKEY_${id}_`;
  const topic = `${id}.orders`;
  const nc = await nats.connect({ servers: '127.0.0.1:4222' });
  const jsm = await nc.jetstreamManager();
  const front = jetStreamFront(nc, prefix);
  try {
    const sequences: number[] = [];
    for (const n of [1, 2, 3]) sequences.push(await front.events.publish(topic, { n }, { key: 'customer-7' }));
    const stream = `${prefix}${filenameSafe(id)}`;
    const chain = await Promise.all(sequences.map(async (seq) => (await jsm.streams.getMessage(stream, { seq })).header.get('Micromesh-Prev')));
    assert.deepEqual(chain, ['0', String(sequences[0]), String(sequences[1])], 'each event names the one before it with its key');
    const durable = filenameSafe(`billing__${topic}`);
    await jsm.consumers.add(stream, { durable_name: durable, ack_policy: nats.AckPolicy.Explicit, ack_wait: nats.nanos(600), max_deliver: -1, filter_subject: topic });
    const ghost = await (await nc.jetstream().consumers.get(stream, durable)).fetch({ max_messages: 1, expires: 2000 });
    for await (const m of ghost) assert.equal(m.seq, sequences[0], 'the dead member took the first event');
    assert.deepEqual(await orderAfterTakeover(front, topic, 'billing'), [1, 2, 3]);
  } finally {
    await front.close();
    for await (const s of jsm.streams.list()) if (s.config.name.startsWith(prefix) || s.config.name.startsWith(`KV_${prefix}`)) await jsm.streams.delete(s.config.name);
    await nc.close();
  }
});

test('jetstream events — publishers of one key in different processes take turns: its events form one chain', { timeout: 30_000 }, async (t) => {
  if (!(await engineAvailable('NATS', 4222))) return t.skip('NATS is not reachable');
  const id = runId();
  const prefix = `EVKEY_${id}_`;
  const topic = `${id}.orders`;
  const connections = await Promise.all([1, 2, 3].map(() => nats.connect({ servers: '127.0.0.1:4222' })));
  const [admin, ...publishers] = connections as [nats.NatsConnection, ...nats.NatsConnection[]];
  const jsm = await admin.jetstreamManager();
  const fronts = publishers.map((nc) => jetStreamFront(nc, prefix));
  try {
    // Both publish the one key at once, in bursts with pauses, so that each holds and gives back its turn many times.
    await Promise.all(
      fronts.map(async (front, p) => {
        for (let burst = 0; burst < 4; burst++) {
          await Promise.all(Array.from({ length: 5 }, (_, i) => front.events.publish(topic, { p, burst, i }, { key: 'customer-7' })));
          await new Promise((r) => setTimeout(r, 30 + p * 7));
        }
      }),
    );
    const stream = `${prefix}${filenameSafe(id)}`;
    const info = await jsm.streams.info(stream);
    assert.equal(info.state.messages, 40);
    let before = 0;
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq });
      assert.equal(m.header.get('Micromesh-Prev'), String(before), `event ${seq} names the one before it`);
      before = seq;
    }
  } finally {
    await Promise.all(fronts.map((f) => f.close()));
    for await (const s of jsm.streams.list()) if (s.config.name.startsWith(prefix) || s.config.name.startsWith(`KV_${prefix}`)) await jsm.streams.delete(s.config.name);
    await Promise.all(connections.map((nc) => nc.close()));
  }
});

test('redis and jetstream events — a foreign writer\'s bad prev leaves its event unchained, never waited on forever', { timeout: 30_000 }, async (t) => {
  const redisUp = await engineAvailable('Redis', 6379);
  const natsUp = await engineAvailable('NATS', 4222);
  if (!redisUp || !natsUp) return t.skip('Redis or NATS is not reachable');
  const id = runId();
  const ce = (n: number) => JSON.stringify({ specversion: '1.0', id: `foreign-${n}`, source: '/foreign', type: 'orders', partitionkey: 'customer-7', datacontenttype: 'application/json', data: { n } });
  // Redis: an id that is not one, and one from the future.
  const raw = new Redis('redis://127.0.0.1:6379');
  const client = new Redis('redis://127.0.0.1:6379');
  const redisFront = frontOf(createRedisEvents({ value: client, release: async () => client.disconnect() }, { prefix: id, pollMs: 200 }));
  // JetStream: a header that is not a number, and a sequence after the event's own.
  const nc = await nats.connect({ servers: '127.0.0.1:4222' });
  const jsm = await nc.jetstreamManager();
  const prefix = `EVKEY_${id}_`;
  const natsFront = jetStreamFront(nc, prefix);
  try {
    await raw.xadd(`${id}:orders`, '*', 'data', ce(1), 'prev', 'not-an-id');
    await raw.xadd(`${id}:orders`, '*', 'data', ce(2), 'prev', '99999999999999-0');
    const fromRedis: number[] = [];
    await redisFront.events.consume('orders', { group: 'billing', ackWaitMs: 2000 }, (e) => void fromRedis.push((e.data as { n: number }).n));

    const topic = `${id}.orders`;
    await natsFront.events.publish(topic, { n: 0 }); // makes the stream
    for (const [n, prev] of [[1, 'abc'], [2, '999999']] as const) {
      const h = nats.headers();
      for (const [k, v] of Object.entries({ 'ce-specversion': '1.0', 'ce-id': `foreign-${n}`, 'ce-source': '/foreign', 'ce-type': 'orders', 'ce-partitionkey': 'customer-7', 'content-type': 'application/json', 'Micromesh-Prev': prev })) h.set(k, v);
      await nc.jetstream().publish(topic, new TextEncoder().encode(JSON.stringify({ n })), { headers: h });
    }
    const fromNats: number[] = [];
    await natsFront.events.consume(topic, { group: 'billing', ackWaitMs: 2000 }, (e) => void fromNats.push((e.data as { n: number }).n));
    await until('both foreign events on each', () => fromRedis.length === 2 && fromNats.length === 3, 10_000);
    assert.deepEqual(fromRedis, [1, 2]);
    assert.deepEqual(fromNats, [0, 1, 2]);
  } finally {
    await redisFront.close();
    const keys = await raw.keys(`${id}:*`);
    if (keys.length > 0) await raw.del(...keys);
    raw.disconnect();
    await natsFront.close();
    for await (const s of jsm.streams.list()) if (s.config.name.startsWith(prefix) || s.config.name.startsWith(`KV_${prefix}`)) await jsm.streams.delete(s.config.name);
    await nc.close();
  }
});
