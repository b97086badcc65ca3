import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { connect, headers, type NatsConnection } from 'nats';
import { DeadLetterKey } from '../../src/mesh/events/dead-letter.ts';
import type { EventDelivery } from '../../src/mesh/events/events.ts';
import { builtinPlugin } from '../../src/mesh/plugins/builtin.ts';
import { createPluginTable } from '../../src/mesh/plugins/table.ts';
import { withEnginePlugins } from '../../src/plugins/node.ts';
import { frontOf, until } from '../conformance/events.ts';
import { engineAvailable, runId } from '../support/engines.ts';

const table = createPluginTable([builtinPlugin(), ...withEnginePlugins([])]);
after(() => table.close());

/** A micromesh events front on `url`, and a consumer of `topic` plus its dead letters. */
async function micromesh(url: string, topic: string) {
  const front = frontOf((await table.resolve('events', url, { nodeId: 'interop', options: { nats: { pollMs: 200 }, redis: { pollMs: 200 } } })).value);
  const got: EventDelivery[] = [];
  const dead: EventDelivery[] = [];
  const handled: unknown[] = [];
  await front.events.consume(topic, { group: 'mm', deadLetter: `${topic}.dead` }, (e) => {
    handled.push(e.data);
    got.push(e);
  });
  await front.events.consume(`${topic}.dead`, { group: 'dlq' }, (e) => void dead.push(e));
  return { ...front, got, dead, handled };
}

describe('events interop over NATS JetStream (CloudEvents binary mode), with plain nats.js', () => {
  const withNats = (fn: (nc: NatsConnection, url: string, topic: string) => Promise<void>) => async (t: { skip(m?: string): void }) => {
    if (!(await engineAvailable('NATS', 4222))) return t.skip('NATS not available');
    const prefix = `EV_${runId()}_`;
    const nc = await connect({ servers: '127.0.0.1:4222' });
    try {
      await fn(nc, `nats://127.0.0.1:4222?streamPrefix=${prefix}&storage=memory`, `${runId()}.orders`);
    } finally {
      const jsm = await nc.jetstreamManager();
      for await (const s of jsm.streams.list()) if (s.config.name.startsWith(prefix) || s.config.name.startsWith(`KV_${prefix}`)) await jsm.streams.delete(s.config.name);
      await nc.close();
    }
  };

  test('interop — a foreign JetStream publisher reaches a micromesh consumer; ce-* headers are read in any case', withNats(async (nc, url, topic) => {
    const mm = await micromesh(url, topic);
    try {
      const h = headers();
      h.set('Ce-Id', 'foreign-1');
      h.set('CE-SpecVersion', '1.0');
      h.set('Ce-Type', 'com.example.order.created');
      h.set('Ce-Source', '/billing');
      h.set('Ce-Time', '2026-01-02T03:04:05.000Z');
      h.set('Ce-PartitionKey', 'customer-9');
      h.set('Content-Type', 'application/json');
      h.set('X-Tenant', 'acme');
      await nc.jetstream().publish(topic, new TextEncoder().encode('{"order":42}'), { headers: h });
      await until('the foreign event', () => mm.got.length === 1);
      const e = mm.got[0] as EventDelivery;
      assert.deepEqual(e.data, { order: 42 });
      assert.equal(e.id, 'foreign-1');
      assert.equal(e.key, 'customer-9');
      assert.equal(e.time.toISOString(), '2026-01-02T03:04:05.000Z');
      assert.equal(e.metadata['X-Tenant'], 'acme');
      assert.ok(!Object.keys(e.metadata).some((k) => /^ce-|^content-type$/i.test(k)), 'CloudEvents attributes are not metadata');
    } finally {
      await mm.close();
    }
  }));

  test('interop — a foreign structured-mode CloudEvent on NATS (content-type application/cloudevents+json) reaches a consumer with its data, and a dead letter keeps it', withNats(async (nc, url, topic) => {
    const mm = await micromesh(url, topic);
    try {
      await mm.events.consume(topic, { group: 'poison', deadLetter: `${topic}.dead` }, (e) => e.term('poison'));
      const h = headers();
      h.set('Content-Type', 'application/cloudevents+json');
      const body = { specversion: '1.0', id: 'structured-1', type: 'com.example.order.created', source: '/billing', partitionkey: 'customer-4', data: { order: 43 } };
      await nc.jetstream().publish(topic, new TextEncoder().encode(JSON.stringify(body)), { headers: h });
      await until('the structured event and its dead letter', () => mm.got.length === 1 && mm.dead.length === 1);
      const e = mm.got[0] as EventDelivery;
      assert.deepEqual(e.data, { order: 43 });
      assert.equal(e.id, 'structured-1');
      assert.equal(e.key, 'customer-4');
      assert.deepEqual((mm.dead[0] as EventDelivery).data, { order: 43 }, 'the dead letter carries the data');
    } finally {
      await mm.close();
    }
  }));

  test('interop — a plain nats.js reader reads what micromesh publishes: lowercase ce-* headers, content-type, metadata, raw data', withNats(async (nc, url, topic) => {
    const mm = await micromesh(url, topic);
    try {
      const sub = nc.subscribe(topic, { max: 1 });
      const seq = await mm.events.publish(topic, { order: 7 }, { id: 'mm-7', key: 'customer-3', metadata: { 'x-tenant': 'acme corp' } });
      const msg = await (async () => {
        for await (const m of sub) return m;
      })();
      assert.ok(msg !== undefined);
      const names = [...(msg.headers?.keys() ?? [])];
      for (const n of ['ce-id', 'ce-source', 'ce-type', 'ce-specversion', 'ce-time', 'content-type']) assert.ok(names.includes(n), `header ${n} in ${names.join(', ')}`);
      assert.equal(msg.headers?.get('ce-id'), 'mm-7');
      assert.equal(msg.headers?.get('ce-specversion'), '1.0');
      assert.equal(msg.headers?.get('ce-type'), topic);
      assert.equal(msg.headers?.get('ce-partitionkey'), 'customer-3');
      assert.equal(msg.headers?.get('content-type'), 'application/json');
      assert.equal(msg.headers?.get('x-tenant'), 'acme%20corp', 'values are percent-encoded');
      assert.ok(!Number.isNaN(Date.parse(msg.headers?.get('ce-time') ?? '')));
      assert.deepEqual(JSON.parse(new TextDecoder().decode(msg.data)), { order: 7 });
      const jsm = await nc.jetstreamManager();
      const stored = await jsm.streams.getMessage(await jsm.streams.find(topic), { seq });
      assert.equal(stored.header.get('ce-id'), 'mm-7', 'stored in the stream at the returned sequence');
    } finally {
      await mm.close();
    }
  }));

  test('interop — a topic captured by an existing stream is stored there; a sibling topic gets a stream of its own', withNats(async (nc, url, topic) => {
    const jsm = await nc.jetstreamManager();
    const prefix = new URL(url).searchParams.get('streamPrefix') as string;
    const theirs = `${prefix}THEIRS`;
    await jsm.streams.add({ name: theirs, subjects: [`${topic}.created`], storage: 'memory' as never });
    const mm = await micromesh(url, `${topic}.created`);
    try {
      const seq = await mm.events.publish(`${topic}.created`, { n: 1 });
      assert.equal((await jsm.streams.getMessage(theirs, { seq })).subject, `${topic}.created`);
      await mm.events.publish(`${topic}.updated`, { n: 2 });
      assert.equal(await jsm.streams.find(`${topic}.updated`), `${prefix}${topic.replace(/\./g, '_')}_updated`);
      await until('the event', () => mm.got.length === 1);
    } finally {
      await mm.close();
    }
  }));

  test('interop — a malformed foreign message is dead-lettered with the reason, and the consumer goes on', withNats(async (nc, url, topic) => {
    const mm = await micromesh(url, topic);
    try {
      const js = nc.jetstream();
      const bad = headers();
      bad.set('content-type', 'application/json');
      await js.publish(topic, new TextEncoder().encode('{not json'), { headers: bad });
      const old = headers();
      old.set('ce-specversion', '0.3');
      await js.publish(topic, new TextEncoder().encode('{}'), { headers: old });
      await js.publish(topic, new TextEncoder().encode('{"fine":true}'));
      await until('two dead letters and the good event', () => mm.dead.length === 2 && mm.got.length === 1);
      assert.deepEqual(mm.handled, [{ fine: true }]);
      const reasons = mm.dead.map((d) => d.metadata[DeadLetterKey.Error]).join(' | ');
      assert.match(reasons, /malformed: .*application\/json/);
      assert.match(reasons, /malformed: unsupported CloudEvents specversion "0.3"/);
      assert.ok(mm.dead.some((d) => d.metadata[DeadLetterKey.ContentType] === 'application/json' && Buffer.from(d.data as Uint8Array).toString() === '{not json'), 'kept as raw bytes');
    } finally {
      await mm.close();
    }
  }));
});

describe('events interop over Redis Streams (one structured CloudEvent per entry), with plain ioredis', () => {
  const withRedis = (fn: (redis: Redis, url: string, topic: string, key: string) => Promise<void>) => async (t: { skip(m?: string): void }) => {
    if (!(await engineAvailable('Redis', 6379))) return t.skip('Redis not available');
    const prefix = runId();
    const redis = new Redis('redis://127.0.0.1:6379');
    const topic = 'orders.created';
    try {
      await fn(redis, `redis://127.0.0.1:6379?prefix=${prefix}`, topic, `${prefix}:${topic}`);
    } finally {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  };

  test('interop — a foreign XADD of a CloudEvent (Dapr-shaped, with extra fields) reaches a micromesh consumer', withRedis(async (redis, url, topic, key) => {
    const mm = await micromesh(url, topic);
    try {
      const ce = { specversion: '1.0', id: 'dapr-1', source: 'checkout', type: 'com.dapr.event.sent', datacontenttype: 'application/json', data: { order: 9 }, topic, pubsubname: 'redis', traceid: '00-x-y-01', partitionkey: 'customer-1' };
      await redis.xadd(key, '*', 'data', JSON.stringify(ce));
      await until('the foreign event', () => mm.got.length === 1);
      const e = mm.got[0] as EventDelivery;
      assert.deepEqual(e.data, { order: 9 });
      assert.equal(e.id, 'dapr-1');
      assert.equal(e.key, 'customer-1');
    } finally {
      await mm.close();
    }
  }));

  test('interop — a plain ioredis reader reads what micromesh publishes as structured CloudEvents JSON', withRedis(async (redis, url, topic, key) => {
    const mm = await micromesh(url, topic);
    try {
      await mm.events.publish(topic, { order: 5 }, { id: 'mm-5', key: 'customer-2', metadata: { 'x-tenant': 'acme' } });
      await mm.events.publish(topic, Buffer.from([1, 2, 3]), { contentType: 'application/octet-stream' });
      const entries = await redis.xrange(key, '-', '+');
      assert.equal(entries.length, 2);
      const fields = (i: number) => Object.fromEntries(((entries[i] as [string, string[]])[1].map((v, j, a) => (j % 2 === 0 ? [v, a[j + 1]] : undefined)).filter(Boolean) as Array<[string, string]>));
      const ce = JSON.parse(fields(0).data as string);
      assert.equal(ce.specversion, '1.0');
      assert.equal(ce.id, 'mm-5');
      assert.equal(ce.type, topic);
      assert.equal(ce.datacontenttype, 'application/json');
      assert.equal(ce.partitionkey, 'customer-2');
      assert.ok(typeof ce.source === 'string' && !Number.isNaN(Date.parse(ce.time)));
      assert.deepEqual(ce.data, { order: 5 });
      assert.deepEqual(JSON.parse(fields(0).metadata as string), { 'x-tenant': 'acme' });
      const binary = JSON.parse(fields(1).data as string);
      assert.equal(binary.data_base64, Buffer.from([1, 2, 3]).toString('base64'));
    } finally {
      await mm.close();
    }
  }));

  test('interop — malformed foreign entries are dead-lettered with the reason, and the consumer goes on', withRedis(async (redis, url, topic, key) => {
    const mm = await micromesh(url, topic);
    try {
      await redis.xadd(key, '*', 'data', 'not json at all');
      await redis.xadd(key, '*', 'payload', '{"moleculer":true}');
      await redis.xadd(key, '*', 'data', JSON.stringify({ specversion: '1.0', id: 'ok', source: 's', type: 't', data: { fine: true } }));
      await until('two dead letters and the good event', () => mm.dead.length === 2 && mm.got.length === 1);
      assert.deepEqual(mm.handled, [{ fine: true }]);
      const reasons = mm.dead.map((d) => d.metadata[DeadLetterKey.Error]).join(' | ');
      assert.match(reasons, /malformed: not CloudEvents JSON/);
      assert.match(reasons, /malformed: the stream entry has no data field/);
    } finally {
      await mm.close();
    }
  }));
});
