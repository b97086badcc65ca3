/**
 * The store, per back end, against the raw client doing the same work in the same run, 100 B values, at
 * concurrency 1 and 64. Cases `store-<backend>-write` and `store-<backend>-read`:
 *
 * - micromesh: `store.write({ key, value })` and `store.read(key)` (a record: value, revision, metadata, TTL).
 * - raw: redis `SET`/`GET` (ioredis), postgres a parameterised `INSERT … ON CONFLICT` / `SELECT` on a table of the
 *   same shape (pg), nats `kv.put`/`kv.get` (nats.js), file an append of the record's bytes plus `fdatasync` / a
 *   positioned read of the record's bytes from the log (`pread`).
 *
 * Back ends whose server is not on 127.0.0.1 are left out with a line. Keys cycle over 1000 per case. The two sides
 * of a row run in BENCH_STORE_ROUNDS interleaved rounds (default 3) and each keeps its median round.
 */
import { open, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { connect as connectNats } from 'nats';
import pg from 'pg';
import { builtinPlugin } from '../../src/mesh/plugins/builtin.ts';
import { createPluginTable } from '../../src/mesh/plugins/table.ts';
import type { Store } from '../../src/mesh/store/store.ts';
import { withEnginePlugins } from '../../src/plugins/node.ts';
import { reachable } from '../../test/support/engines.ts';
import type { BenchContext } from '../lib/context.ts';
import { measureRounds } from '../lib/measure.ts';

const CONCURRENCY = [1, 64] as const;
const ROUNDS = Number(process.env.BENCH_STORE_ROUNDS ?? 3);
const VALUE = Buffer.alloc(100, 'x');
const KEYS = 1000;

/** One back end: how to make the micromesh store and the raw operations on the same server. */
interface Backend {
  name: string;
  port?: number;
  raw: string;
  open(id: string): Promise<{ store: Store; write(key: string): Promise<unknown>; read(key: string): Promise<unknown>; close(): Promise<void> }>;
}

const plugins = createPluginTable([builtinPlugin(), ...withEnginePlugins([])]);

const backends: Backend[] = [
  {
    name: 'file',
    raw: 'raw-fs',
    async open(id) {
      const dir = await mkdtemp(join(tmpdir(), `bench-store-${id}-`));
      const { value: store } = await plugins.resolve('store', `file://${dir}/mesh`, { nodeId: 'bench' });
      const file = await open(join(dir, 'raw.log'), 'a+');
      const offsets = new Map<string, number>();
      let size = 0;
      return {
        store,
        write: async (key) => {
          const entry = Buffer.concat([Buffer.from(key), VALUE]);
          offsets.set(key, size + key.length);
          size += entry.length;
          await file.write(entry);
          await file.datasync();
        },
        read: async (key) => {
          const out = Buffer.allocUnsafe(VALUE.length);
          await file.read(out, 0, VALUE.length, offsets.get(key) ?? 0);
          return out;
        },
        close: async () => {
          await file.close();
          await store.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'redis',
    port: 6379,
    raw: 'raw-ioredis',
    async open(id) {
      const { value: store } = await plugins.resolve('store', `redis://127.0.0.1:6379?prefix=bench-${id}`, { nodeId: 'bench' });
      const redis = new Redis('redis://127.0.0.1:6379');
      return {
        store,
        write: (key) => redis.set(`bench-raw-${id}:${key}`, VALUE),
        read: (key) => redis.getBuffer(`bench-raw-${id}:${key}`),
        close: async () => {
          for (const pattern of [`bench-${id}*`, `bench-raw-${id}*`]) {
            const keys = await redis.keys(pattern);
            if (keys.length > 0) await redis.del(...keys);
          }
          redis.disconnect();
          await store.close();
        },
      };
    },
  },
  {
    name: 'postgres',
    port: 5432,
    raw: 'raw-pg',
    async open(id) {
      const table = `bench_${id}`;
      const { value: store } = await plugins.resolve('store', `postgres://127.0.0.1:5432/test?table=${table}`, { nodeId: 'bench' });
      const pool = new pg.Pool({ host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres', max: 10 });
      await pool.query(`CREATE TABLE "${table}_raw" (key TEXT PRIMARY KEY, value BYTEA, revision BIGINT)`);
      return {
        store,
        write: (key) =>
          pool.query(`INSERT INTO "${table}_raw" (key, value, revision) VALUES ($1, $2, 1) ON CONFLICT (key) DO UPDATE SET value = $2, revision = "${table}_raw".revision + 1`, [key, VALUE]),
        read: (key) => pool.query(`SELECT value, revision FROM "${table}_raw" WHERE key = $1`, [key]),
        close: async () => {
          await pool.query(`DROP TABLE IF EXISTS "${table}_raw"`);
          await pool.query(`DROP TABLE IF EXISTS "${table}"`);
          await pool.end();
          await store.close();
        },
      };
    },
  },
  {
    name: 'nats',
    port: 4222,
    raw: 'raw-nats-kv',
    async open(id) {
      const prefix = `bench-${id}`;
      const { value: store } = await plugins.resolve('store', `nats://127.0.0.1:4222?prefix=${prefix}`, { nodeId: 'bench' });
      const nc = await connectNats({ servers: '127.0.0.1:4222' });
      const kv = await nc.jetstream().views.kv(`${prefix}-raw`, { history: 1 });
      return {
        store,
        write: (key) => kv.put(key, VALUE),
        read: (key) => kv.get(key),
        close: async () => {
          const jsm = await nc.jetstreamManager();
          for await (const info of jsm.streams.list()) if (info.config.name.startsWith(`KV_${prefix}`)) await jsm.streams.delete(info.config.name);
          await nc.close();
          await store.close();
        },
      };
    },
  },
];

export default async function run(ctx: BenchContext): Promise<void> {
  const id = Math.random().toString(36).slice(2, 8);
  for (const backend of backends) {
    if (backend.port !== undefined && !(await reachable(backend.port))) {
      ctx.log(`${backend.name}: nothing listens on 127.0.0.1:${backend.port}; left out`);
      continue;
    }
    const b = await backend.open(id);
    try {
      for (let i = 0; i < KEYS; i++) {
        await b.store.write({ key: `k${i}`, value: VALUE });
        await b.write(`k${i}`);
      }
      for (const concurrency of CONCURRENCY) {
        let n = 0;
        const key = (): string => `k${n++ % KEYS}`;
        const impls = [
          { impl: 'micromesh', write: () => b.store.write({ key: key(), value: VALUE }), read: () => b.store.read(key()) },
          { impl: backend.raw, write: () => b.write(key()), read: () => b.read(key()) },
        ];
        for (const op of ['write', 'read'] as const) {
          const specs = impls.map((impl) => ({ case: `store-${backend.name}-${op}`, impl: impl.impl, concurrency, payloadBytes: VALUE.length, op: impl[op] }));
          await measureRounds(ctx, specs, ROUNDS);
        }
      }
    } finally {
      await b.close();
    }
  }
  await plugins.close();
}
