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
import { redisScript, runScript } from '../../src/plugins/redis/scripts.ts';
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

  test('redis store — a value is a plain string key (GET), with revision, expiry and metadata in a string meta key, both with one native TTL', async (t) => {
    if (redis === undefined) return t.skip('Redis is not reachable');
    const { value: store } = await table.resolve('store', `redis://127.0.0.1:6379?prefix=${prefix}`, { nodeId: 'interop' });
    try {
      const carts = store.scope({ database: 'shop', table: 'carts' });
      const [sec] = await redis.time();
      const written = await carts.write({ key: 'c/1', value: Buffer.from([0, 255, 1]), metadata: { by: 'ada' }, ttlMs: 60_000 });
      assert.deepEqual(await redis.getBuffer(`${prefix}:shop:carts:c/1`), Buffer.from([0, 255, 1]));
      // expiresAt is Redis's clock plus the TTL, the same instant in the meta key, the record and both keys' expiry.
      const at = written.expiresAt as number;
      assert.ok(at >= Number(sec) * 1000 + 60_000 && at < Number(sec) * 1000 + 62_000, `expiresAt ${at} by the server's clock`);
      assert.equal(await redis.get(`${prefix}-meta:shop:carts:c/1`), `1 ${at} {"by":"ada"}`);
      assert.equal(await redis.pexpiretime(`${prefix}:shop:carts:c/1`), at);
      assert.equal(await redis.pexpiretime(`${prefix}-meta:shop:carts:c/1`), at);
      assert.equal((await carts.read('c/1')).expiresAt, at);
      // Written again without a TTL: both keys lose it, the revision goes on.
      await carts.write({ key: 'c/1', value: 'kept' });
      assert.equal(await redis.get(`${prefix}-meta:shop:carts:c/1`), '2 0 {}');
      assert.equal(await redis.pttl(`${prefix}:shop:carts:c/1`), -1);
      assert.equal(await redis.pttl(`${prefix}-meta:shop:carts:c/1`), -1);
      assert.equal((await carts.read('c/1')).expiresAt, undefined);
      // A key another program SET is a record at revision 0 with no metadata, its expiry its PTTL.
      await redis.set(`${prefix}:micro:micro:plain`, 'from redis-cli', 'PX', 30_000);
      const plain = await store.read('plain');
      assert.equal(readText(plain), 'from redis-cli');
      assert.equal(plain.revision, 0);
      assert.deepEqual(plain.metadata, {});
      assert.ok(plain.expiresAt !== undefined && plain.expiresAt > Date.now() + 25_000 && plain.expiresAt <= Date.now() + 30_000, `expiresAt ${plain.expiresAt}`);
      assert.deepEqual(await store.list(), ['plain']);
      assert.equal((await store.write({ key: 'plain', value: 'ours now' }, { ifRevision: 0 }).catch((e: unknown) => e)) instanceof MicroError, true, 'it exists');
      assert.equal((await store.write({ key: 'plain', value: 'ours now' })).revision, 1);
      // A meta key left behind by a value another program deleted does not carry its revision over.
      await redis.del(`${prefix}:micro:micro:plain`);
      await assert.rejects(store.read('plain'), (err: unknown) => err instanceof MicroError && err.reason === 'NOT_FOUND');
      assert.equal((await store.write({ key: 'plain', value: 'again' }, { ifRevision: 0 })).revision, 1);
      // A meta key of another type (the hash of an earlier layout) counts as none and is replaced by a write.
      await redis.set(`${prefix}:micro:micro:old`, 'v');
      await redis.hset(`${prefix}-meta:micro:micro:old`, 'rev', '7', 'md', '{}');
      assert.equal((await store.read('old')).revision, 0);
      assert.equal((await store.write({ key: 'old', value: 'w' })).revision, 1);
      assert.equal(await redis.get(`${prefix}-meta:micro:micro:old`), '1 0 {}');
    } finally {
      await store.close();
    }
  });

  test('redis scripts — a script the server does not hold yet (new, restarted, flushed) is sent once in full', async (t) => {
    if (redis === undefined) return t.skip('Redis is not reachable');
    // A script no one ran before: its digest is unknown to the server, so EVALSHA fails with NOSCRIPT first.
    const script = redisScript(`return {KEYS[1], ARGV[1], '${prefix}'}`);
    assert.deepEqual(await redis.call('SCRIPT', 'EXISTS', script.sha), [0]);
    const reply = (await runScript(redis, script, ['k'], [Buffer.from('v')])) as Buffer[];
    assert.deepEqual(reply.map(String), ['k', 'v', prefix]);
    assert.deepEqual(await redis.call('SCRIPT', 'EXISTS', script.sha), [1]);
    assert.deepEqual(((await runScript(redis, script, ['k2'], ['w'])) as Buffer[]).map(String), ['k2', 'w', prefix]);
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
