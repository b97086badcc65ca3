import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { unpack } from 'msgpackr';
import { connect, type NatsConnection } from 'nats';
import { silentLogger } from '../../src/actors/index.ts';
import { readText } from '../../src/mesh/store/store.ts';
import { createNode } from '../../src/plugins/node.ts';
import { encodeKvKey, scopeBucket } from '../../src/plugins/nats/kv.ts';
import { engineAvailable, runId } from '../support/engines.ts';

let nc: NatsConnection | undefined;
const prefix = runId().replaceAll('_', '-');

before(async () => {
  if (await engineAvailable('NATS', 4222)) nc = await connect({ servers: '127.0.0.1:4222' });
});
after(async () => {
  if (nc === undefined) return;
  const jsm = await nc.jetstreamManager();
  for await (const info of jsm.streams.list()) if (info.config.name.startsWith(`KV_${prefix}`)) await jsm.streams.delete(info.config.name);
  await nc.close();
});

test('nats store — a record is a KV entry any NATS client reads: a msgpack envelope under the base64url key', async (t) => {
  if (nc === undefined) return t.skip('NATS is not reachable');
  const node = await createNode({ registry: 'memory', transport: 'memory', address: 'mem://nats-store', logger: silentLogger, store: `nats://127.0.0.1:4222?prefix=${prefix}` });
  try {
    assert.equal(node.store.name, 'nats');
    const carts = node.store.scope({ database: 'shop', table: 'carts' });
    await carts.write({ key: 'c/1 ü', value: Buffer.from([0, 255, 1]), metadata: { by: 'ada' } });
    const kv = await nc.jetstream().views.kv(scopeBucket(prefix, 'shop', 'carts'), { bindOnly: true });
    const entry = await kv.get(encodeKvKey('c/1 ü'));
    assert.ok(entry !== null);
    const env = unpack(entry.value) as { v: Uint8Array; m: Record<string, string>; r: number; e: number };
    assert.deepEqual([...env.v], [0, 255, 1]);
    assert.deepEqual(env.m, { by: 'ada' });
    assert.equal(env.r, 1);
    assert.equal(env.e, 0);
    const again = await carts.write({ key: 'c/1 ü', value: 'second' });
    assert.equal(again.revision, 2, 'the per-key revision, not the bucket-wide one');
    assert.equal(readText(await carts.read('c/1 ü')), 'second');
  } finally {
    await node.stop();
  }
});

test('nats sync — locks on a node by URL: the lease is a KV entry holding the fencing token, freed on release', async (t) => {
  if (nc === undefined) return t.skip('NATS is not reachable');
  const bucket = `${prefix}-sync`;
  const a = await createNode({ registry: 'memory', transport: 'memory', address: 'mem://nats-sync-a', logger: silentLogger, store: 'memory', sync: `nats://127.0.0.1:4222?prefix=${bucket}` });
  const b = await createNode({ registry: 'memory', transport: 'memory', address: 'mem://nats-sync-b', logger: silentLogger, store: 'memory', sync: `nats://127.0.0.1:4222?prefix=${bucket}` });
  try {
    const first = await a.sync.lock('job', { ttlMs: 5000 });
    const kv = await nc.jetstream().views.kv(bucket, { bindOnly: true });
    const state = (await kv.get(encodeKvKey('job')))?.json() as { token: number; holder: string };
    assert.equal(state.token, first.token);
    await assert.rejects(b.sync.lock('job', { ttlMs: 5000, waitMs: 200 }), (err: Error & { code?: number }) => err.code === 408);
    await first.release();
    const second = await b.sync.lock('job', { ttlMs: 5000, waitMs: 2000 });
    assert.ok(second.token > first.token, 'the fencing token grows across holders');
    await second.release();
  } finally {
    await a.stop();
    await b.stop();
  }
});
