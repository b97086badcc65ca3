import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { connect, headers, type NatsConnection } from 'nats';
import type { DeadLetter, Delivery } from '../../src/mesh/broker/api.ts';
import { createMemoryRegistry } from '../../src/mesh/registry/memory.ts';
import { createNode } from '../../src/plugins/node.ts';
import { engineAvailable, runId } from '../support/engines.ts';
import { waitUntil } from '../support/wait.ts';

interface Got {
  message: unknown;
  delivery: Delivery;
}

/** A micromesh node on `broker`, its inbox for `topic`, and the dead letters of topics under `prefix`. */
async function meshSide(broker: string, topic: string, prefix: string) {
  const node = await createNode({ id: `${prefix}-node`, registry: createMemoryRegistry(), broker });
  const got: Got[] = [];
  const letters: DeadLetter[] = [];
  await node.subscribe(topic, (message, delivery) => void got.push({ message, delivery }));
  await node.subscribe('micro.deadletter', (l: DeadLetter) => {
    if (l.topic.startsWith(prefix)) letters.push(l);
  });
  return { node, got, letters };
}

describe('broker interop — NATS, with a plain nats.js client', () => {
  let nc: NatsConnection | undefined;
  let side: Awaited<ReturnType<typeof meshSide>> | undefined;
  const p = runId();
  before(async () => {
    if (!(await engineAvailable('NATS', 4222))) return;
    nc = await connect({ servers: '127.0.0.1:4222' });
    side = await meshSide('nats://127.0.0.1:4222', `${p}.orders.>`, p);
  });
  after(async () => {
    await side?.node.stop();
    await nc?.close();
  });

  test('nats interop — a foreign binary-mode CloudEvent (headers in any case) reaches a micromesh subscriber', async () => {
    if (nc === undefined || side === undefined) return;
    const h = headers();
    h.set('CE-SpecVersion', '1.0');
    h.set('Ce-Id', 'foreign-1');
    h.set('CE-SOURCE', 'urn:billing%20service');
    h.set('ce-type', 'com.example.order.created');
    h.set('ce-time', '2026-01-02T03:04:05Z');
    h.set('Content-Type', 'application/json');
    h.set('X-Tenant', 'acme');
    nc.publish(`${p}.orders.created`, new TextEncoder().encode('{"total":42}'), { headers: h });
    await waitUntil(() => side?.got.length === 1, 5000, 'the foreign message');
    const { message, delivery } = side.got[0] as Got;
    assert.deepEqual(message, { total: 42 });
    assert.equal(delivery.id, 'foreign-1');
    assert.equal(delivery.source, 'urn:billing service');
    assert.equal(delivery.type, 'com.example.order.created');
    assert.equal(delivery.time, '2026-01-02T03:04:05Z');
    assert.equal(delivery.metadata['X-Tenant'], 'acme');
  });

  test('nats interop — a foreign subscriber reads lowercase ce-* headers, the codec content type and metadata', async () => {
    if (nc === undefined || side === undefined) return;
    const sub = nc.subscribe(`${p}.outbound`, { max: 1 });
    await nc.flush();
    await side.node.publish(`${p}.outbound`, { hello: 'world' }, { metadata: { 'x-tenant': 'acme', note: 'a "quoted" 100%' }, id: 'mesh-1' });
    for await (const msg of sub) {
      const keys = msg.headers?.keys() ?? [];
      for (const k of ['ce-specversion', 'ce-id', 'ce-source', 'ce-type', 'ce-time', 'content-type']) assert.ok(keys.includes(k), `${k} in ${keys.join(',')}`);
      assert.equal(msg.headers?.get('ce-specversion'), '1.0');
      assert.equal(msg.headers?.get('ce-id'), 'mesh-1');
      assert.equal(msg.headers?.get('ce-source'), `micromesh://${side.node.id}`);
      assert.equal(msg.headers?.get('ce-type'), `${p}.outbound`);
      assert.ok(!Number.isNaN(Date.parse(msg.headers?.get('ce-time') ?? '')));
      assert.equal(msg.headers?.get('content-type'), 'application/json');
      assert.equal(msg.headers?.get('x-tenant'), 'acme');
      assert.equal(decodeURIComponent(msg.headers?.get('note') ?? ''), 'a "quoted" 100%');
      assert.deepEqual(JSON.parse(new TextDecoder().decode(msg.data)), { hello: 'world' });
    }
  });

  test('nats interop — malformed foreign messages are dead-lettered with the reason; the subscription goes on', async () => {
    if (nc === undefined || side === undefined) return;
    const before = side.got.length;
    const h = headers();
    h.set('ce-specversion', '0.3');
    h.set('ce-id', 'old');
    nc.publish(`${p}.orders.old`, new TextEncoder().encode('{}'), { headers: h });
    nc.publish(`${p}.orders.garbled`, new TextEncoder().encode('{not json'));
    nc.publish(`${p}.orders.fine`, new TextEncoder().encode('"fine"'));
    await waitUntil(() => side !== undefined && side.letters.length >= 2 && side.got.length > before, 5000, 'two dead letters and the next message');
    const old = side.letters.find((l) => l.topic === `${p}.orders.old`);
    const garbled = side.letters.find((l) => l.topic === `${p}.orders.garbled`);
    assert.equal(old?.reason, 'malformed');
    assert.match(old?.error ?? '', /ce-specversion/);
    assert.equal(garbled?.reason, 'malformed');
    assert.match(garbled?.error ?? '', /application\/json/);
    assert.equal(Buffer.from(garbled?.data_base64 ?? '', 'base64').toString(), '{not json');
    assert.equal((side.got.at(-1) as Got).message, 'fine');
  });
});

describe('broker interop — NATS, structured and plain (cloudevents=off) writing', () => {
  let nc: NatsConnection | undefined;
  const p = runId();
  before(async () => {
    if (!(await engineAvailable('NATS', 4222))) return;
    nc = await connect({ servers: '127.0.0.1:4222' });
  });
  after(() => nc?.close());

  /** What a plain nats.js subscriber sees of one micromesh publish, and what the node's own subscriber got. */
  async function publishIn(mode: string, topic: string, metadata: Record<string, string>) {
    const side = await meshSide(`nats://127.0.0.1:4222?cloudevents=${mode}`, topic, `${p}.${mode}`);
    try {
      const sub = (nc as NatsConnection).subscribe(topic, { max: 1 });
      await (nc as NatsConnection).flush();
      await side.node.publish(topic, { hello: mode }, { metadata, id: `${mode}-1` });
      let seen: { headers: Record<string, string>; body: string } | undefined;
      for await (const msg of sub) {
        const h: Record<string, string> = {};
        for (const [k, v] of msg.headers ?? []) h[k] = v[0] as string;
        seen = { headers: h, body: new TextDecoder().decode(msg.data) };
      }
      await waitUntil(() => side.got.length === 1, 5000, 'the message back at the node');
      return { seen: seen as { headers: Record<string, string>; body: string }, got: side.got[0] as Got, node: side.node };
    } finally {
      await side.node.stop();
    }
  }

  test('nats interop — structured: one JSON CloudEvent with content-type application/cloudevents+json; read back whole', async () => {
    if (nc === undefined) return;
    const { seen, got, node } = await publishIn('structured', `${p}.structured.t`, { tenant: 'acme' });
    assert.deepEqual(seen.headers, { 'content-type': 'application/cloudevents+json' });
    const e = JSON.parse(seen.body);
    assert.equal(e.specversion, '1.0');
    assert.equal(e.id, 'structured-1');
    assert.equal(e.source, `micromesh://${node.id}`);
    assert.equal(e.tenant, 'acme');
    assert.deepEqual(e.data, { hello: 'structured' });
    assert.deepEqual(got.message, { hello: 'structured' });
    assert.equal(got.delivery.id, 'structured-1');
    assert.equal(got.delivery.metadata.tenant, 'acme');
  });

  test('nats interop — off: the body alone, metadata as headers; a plain JSON message has no header block at all', async () => {
    if (nc === undefined) return;
    const bare = await publishIn('off', `${p}.off.bare`, {});
    assert.deepEqual(bare.seen.headers, {});
    assert.deepEqual(JSON.parse(bare.seen.body), { hello: 'off' });
    assert.deepEqual(bare.got.message, { hello: 'off' });
    assert.equal(bare.got.delivery.source, 'nats', 'no CloudEvent travelled: the reader takes it as a foreign message');
    assert.notEqual(bare.got.delivery.id, 'off-1');
    const tagged = await publishIn('off', `${p}.off.tagged`, { 'x-tenant': 'acme' });
    assert.deepEqual(tagged.seen.headers, { 'x-tenant': 'acme' });
    assert.equal(tagged.got.delivery.metadata['x-tenant'], 'acme');
  });

  test('nats broker — a bad cloudevents setting is refused with the choices', async () => {
    await assert.rejects(createNode({ id: `${p}-bad`, registry: createMemoryRegistry(), broker: 'nats://127.0.0.1:4222?cloudevents=json' }), /cloudevents="json": expected binary, structured, off/);
  });
});

describe('broker interop — Redis, with a plain ioredis client', () => {
  let pub: Redis | undefined;
  let sub: Redis | undefined;
  let side: Awaited<ReturnType<typeof meshSide>> | undefined;
  const p = runId();
  before(async () => {
    if (!(await engineAvailable('Redis', 6379))) return;
    pub = new Redis('redis://127.0.0.1:6379');
    sub = new Redis('redis://127.0.0.1:6379');
    side = await meshSide('redis://127.0.0.1:6379', `${p}.orders.*`, p);
  });
  after(async () => {
    await side?.node.stop();
    pub?.disconnect();
    sub?.disconnect();
  });

  test('redis interop — a foreign structured CloudEvent reaches a micromesh subscriber', async () => {
    if (pub === undefined || side === undefined) return;
    const event = { specversion: '1.0', id: 'r-1', source: 'urn:dapr', type: 'com.dapr.event.sent', time: '2026-01-02T03:04:05Z', datacontenttype: 'application/json', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', data: { total: 7 } };
    await pub.publish(`${p}.orders.created`, JSON.stringify(event));
    await waitUntil(() => side?.got.length === 1, 5000, 'the foreign message');
    const { message, delivery } = side.got[0] as Got;
    assert.deepEqual(message, { total: 7 });
    assert.equal(delivery.id, 'r-1');
    assert.equal(delivery.type, 'com.dapr.event.sent');
    assert.equal(delivery.metadata.traceparent, event.traceparent);
  });

  test('redis interop — a foreign subscriber reads one structured CloudEvents JSON per message', async () => {
    if (sub === undefined || side === undefined) return;
    const seen: string[] = [];
    sub.on('message', (_channel: string, text: string) => seen.push(text));
    await sub.subscribe(`${p}.outbound`);
    await side.node.publish(`${p}.outbound`, { hello: 'world' }, { metadata: { tenant: 'acme', 'x-Weird': 'y' }, id: 'mesh-1' });
    await side.node.publish(`${p}.outbound`, { n: 1 }, { codec: 'application/msgpack' });
    await waitUntil(() => seen.length === 2, 5000, 'two messages');
    const e = JSON.parse(seen[0] as string);
    assert.equal(e.specversion, '1.0');
    assert.equal(e.id, 'mesh-1');
    assert.equal(e.source, `micromesh://${side.node.id}`);
    assert.equal(e.type, `${p}.outbound`);
    assert.equal(e.datacontenttype, 'application/json');
    assert.ok(!Number.isNaN(Date.parse(e.time)));
    assert.equal(e.tenant, 'acme');
    assert.deepEqual(e.metadata, { 'x-Weird': 'y' });
    assert.deepEqual(e.data, { hello: 'world' });
    const packed = JSON.parse(seen[1] as string);
    assert.equal(packed.datacontenttype, 'application/msgpack');
    assert.equal(typeof packed.data_base64, 'string');
  });

  test('redis interop — malformed foreign messages are dead-lettered with the reason; the subscription goes on', async () => {
    if (pub === undefined || side === undefined) return;
    const before = side.got.length;
    await pub.publish(`${p}.orders.garbled`, 'not json at all');
    await pub.publish(`${p}.orders.noid`, JSON.stringify({ specversion: '1.0', source: 's', type: 't', data: 1 }));
    await pub.publish(`${p}.orders.fine`, JSON.stringify({ specversion: '1.0', id: 'ok', source: 's', type: 't', data: 'fine' }));
    await waitUntil(() => side !== undefined && side.letters.length >= 2 && side.got.length > before, 5000, 'two dead letters and the next message');
    const garbled = side.letters.find((l) => l.topic === `${p}.orders.garbled`);
    const noid = side.letters.find((l) => l.topic === `${p}.orders.noid`);
    assert.match(garbled?.error ?? '', /not JSON/);
    assert.equal(Buffer.from(garbled?.data_base64 ?? '', 'base64').toString(), 'not json at all');
    assert.match(noid?.error ?? '', /id is missing/);
    assert.equal((side.got.at(-1) as Got).message, 'fine');
  });
});
