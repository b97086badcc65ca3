import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { silentLogger } from '../../src/actors/index.ts';
import { MicroError } from '../../src/mesh/errors.ts';
import { builtinPlugin } from '../../src/mesh/plugins/builtin.ts';
import { createPluginTable, type PluginTable } from '../../src/mesh/plugins/table.ts';
import { jsonBytes, readJson, readText } from '../../src/mesh/store/store.ts';
import { createNode, withEnginePlugins } from '../../src/plugins/node.ts';
import { closedPort, engineAvailable, runId } from '../support/engines.ts';

let table: PluginTable;
before(() => {
  table = createPluginTable([builtinPlugin(), ...withEnginePlugins([])]);
});
after(() => table.close());

const isUnavailable = (err: unknown): boolean => err instanceof MicroError && err.reason === 'UNAVAILABLE' && err.code === 503 && err.retryable;

describe('store on PostgreSQL — what other programs see', () => {
  const name = runId();
  let sql: pg.Client | undefined;
  before(async () => {
    if (!(await engineAvailable('PostgreSQL', 5432))) return;
    sql = new pg.Client({ host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres' });
    await sql.connect();
  });
  after(async () => {
    await sql?.query(`DROP TABLE IF EXISTS "${name}"`);
    await sql?.end();
  });

  test('postgres store — a record is one row a plain SQL query reads, and a row written by SQL is a record', async (t) => {
    if (sql === undefined) return t.skip('PostgreSQL is not reachable');
    const { value: store } = await table.resolve('store', `postgres://127.0.0.1:5432/test?table=${name}`, { nodeId: 'interop' });
    try {
      const orders = store.scope({ database: 'shop', table: 'orders' });
      await orders.write({ key: 'o/1', value: jsonBytes({ total: 12.5 }), metadata: { by: 'ada' }, ttlMs: 60_000 });
      const { rows } = await sql.query(`SELECT scope, key, convert_from(value, 'UTF8') AS text, metadata, revision, expires_at > now() AS live FROM "${name}" WHERE scope = 'shop/orders'`);
      assert.deepEqual(rows, [{ scope: 'shop/orders', key: 'o/1', text: '{"total":12.5}', metadata: { by: 'ada' }, revision: '1', live: true }]);
      await sql.query(`INSERT INTO "${name}" (scope, key, value, metadata, revision) VALUES ('shop/orders', 'o/2', convert_to('from sql', 'UTF8'), '{}', 1)`);
      assert.equal(readText(await orders.read('o/2')), 'from sql');
      assert.deepEqual(readJson(await orders.read('o/1')), { total: 12.5 });
    } finally {
      await store.close();
    }
  });

  test('postgres store — a server that is not there is UNAVAILABLE (503) within the deadline, never a hang', async (t) => {
    if (sql === undefined) return t.skip('PostgreSQL is not reachable');
    const port = await closedPort();
    const { value: store } = await table.resolve('store', `postgres://127.0.0.1:${port}/test`, { nodeId: 'down', options: { timeoutMs: 3000 } });
    try {
      const started = performance.now();
      await assert.rejects(store.write({ key: 'k', value: 'v' }), isUnavailable);
      await assert.rejects(store.read('k'), isUnavailable);
      assert.ok(performance.now() - started < 6500, 'both calls failed within their deadlines');
    } finally {
      await store.close();
    }
  });
});

describe('store on Redis — what other programs see', () => {
  const prefix = runId();
  let redis: Redis | undefined;
  before(async () => {
    if (!(await engineAvailable('Redis', 6379))) return;
    redis = new Redis('redis://127.0.0.1:6379');
  });
  after(async () => {
    if (redis === undefined) return;
    const keys = [...(await redis.keys(`${prefix}:*`)), ...(await redis.keys(`${prefix}-meta:*`))];
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  test('redis store — a value is a plain string key (GET), with its revision and metadata in a hash and a native TTL', async (t) => {
    if (redis === undefined) return t.skip('Redis is not reachable');
    const { value: store } = await table.resolve('store', `redis://127.0.0.1:6379?prefix=${prefix}`, { nodeId: 'interop' });
    try {
      await store.scope({ database: 'shop', table: 'carts' }).write({ key: 'c/1', value: Buffer.from([0, 255, 1]), metadata: { by: 'ada' }, ttlMs: 60_000 });
      assert.deepEqual(await redis.getBuffer(`${prefix}:shop:carts:c/1`), Buffer.from([0, 255, 1]));
      assert.deepEqual(await redis.hgetall(`${prefix}-meta:shop:carts:c/1`), { rev: '1', md: '{"by":"ada"}' });
      const ttl = await redis.pttl(`${prefix}:shop:carts:c/1`);
      assert.ok(ttl > 50_000 && ttl <= 60_000, `PTTL ${ttl}`);
      // A key another program SET is a record at revision 0 with no metadata.
      await redis.set(`${prefix}:micro:micro:plain`, 'from redis-cli');
      const plain = await store.read('plain');
      assert.equal(readText(plain), 'from redis-cli');
      assert.equal(plain.revision, 0);
      assert.deepEqual(await store.list(), ['plain']);
    } finally {
      await store.close();
    }
  });

  test('redis store — a server that is not there is UNAVAILABLE (503) within the deadline, never a hang', async (t) => {
    if (redis === undefined) return t.skip('Redis is not reachable');
    const port = await closedPort();
    const { value: store } = await table.resolve('store', `redis://127.0.0.1:${port}`, { nodeId: 'down', options: { timeoutMs: 3000 } });
    try {
      const started = performance.now();
      await assert.rejects(store.write({ key: 'k', value: 'v' }), isUnavailable);
      await assert.rejects(store.list(), isUnavailable);
      assert.ok(performance.now() - started < 6500, 'both calls failed within their deadlines');
    } finally {
      await store.close();
    }
  });

  test('store — the package createNode has the engines: store by URL, one shared connection, closed on stop', async (t) => {
    if (redis === undefined) return t.skip('Redis is not reachable');
    const node = await createNode({ registry: 'memory', transport: 'memory', address: 'mem://store-engines', logger: silentLogger, store: `redis://127.0.0.1:6379?prefix=${prefix}` });
    assert.equal(node.store.name, 'redis');
    await node.store.write({ key: 'from-node', value: 'x' });
    assert.equal(await redis.get(`${prefix}:micro:micro:from-node`), 'x');
    const store = node.store;
    await node.stop();
    // The node released its connection: the store it made fails instead of reaching Redis.
    await assert.rejects(store.read('from-node'), isUnavailable);
    assert.equal(await redis.get(`${prefix}:micro:micro:from-node`), 'x');
  });
});
