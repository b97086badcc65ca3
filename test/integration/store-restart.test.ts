import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { MicroError } from '../../src/mesh/errors.ts';
import { builtinPlugin } from '../../src/mesh/plugins/builtin.ts';
import { createPluginTable, type PluginTable } from '../../src/mesh/plugins/table.ts';
import type { Store } from '../../src/mesh/store/store.ts';
import { readText } from '../../src/mesh/store/store.ts';
import { withEnginePlugins } from '../../src/plugins/node.ts';
import { closedPort, engineAvailable, reachable, runId } from '../support/engines.ts';
import { waitUntilAsync } from '../support/wait.ts';

let table: PluginTable;
before(() => {
  table = createPluginTable([builtinPlugin(), ...withEnginePlugins([])]);
});
after(() => table.close());

/**
 * Writes keys `k0`, `k1`… one after another until `stop()`; remembers which were acknowledged and how the others failed.
 * Every write has a 1 s deadline, so none hangs while the server is away.
 */
function writer(store: Store) {
  const acked: string[] = [];
  const failures: MicroError[] = [];
  let running = true;
  const done = (async () => {
    for (let i = 0; running; i++) {
      const key = `k${i}`;
      try {
        await store.write({ key, value: `v${i}` }, { timeoutMs: 1000 });
        acked.push(key);
      } catch (err) {
        assert.ok(err instanceof MicroError, String(err));
        failures.push(err);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  })();
  return {
    acked,
    failures,
    async stop() {
      running = false;
      await done;
    },
  };
}

function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  return waitUntilAsync(check, timeoutMs, what);
}

function startRedis(port: number, dir: string): ChildProcess {
  // appendfsync always: Redis acknowledges a write once it is on disk, so a restart keeps every acknowledged one.
  return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir], { stdio: 'ignore' });
}

test('redis store — the server killed and restarted mid-run: writes fail with 503 meanwhile, resume by themselves, and no acknowledged write is lost', { timeout: 60_000 }, async (t) => {
  if (!(await engineAvailable('Redis', 6379))) return t.skip('Redis is not reachable');
  const dir = await mkdtemp(join(tmpdir(), 'micromesh-redis-'));
  const port = await closedPort();
  let server = startRedis(port, dir);
  try {
    await until('redis to listen', () => reachable(port, 200));
    const { value: store } = await table.resolve('store', `redis://127.0.0.1:${port}?prefix=${runId()}`, { nodeId: 'restart' });
    const w = writer(store);
    await until('20 writes', () => w.acked.length >= 20);
    server.kill('SIGKILL');
    await new Promise((r) => server.once('exit', r));
    const before = w.acked.length;
    await until('writes to fail', () => w.failures.length >= 2);
    server = startRedis(port, dir);
    await until('writes to resume', () => w.acked.length >= before + 20);
    await w.stop();
    assert.ok(w.failures.every((e) => e.reason === 'UNAVAILABLE' && e.code === 503), w.failures.map((e) => e.detail).join('\n'));
    for (const key of w.acked) assert.equal(readText(await store.read(key)), `v${key.slice(1)}`, `acknowledged ${key} survived`);
    await store.close();
  } finally {
    server.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});

test('postgres store — its connections killed mid-run (pg_terminate_backend): the pool reconnects by itself and no acknowledged write is lost', { timeout: 60_000 }, async (t) => {
  if (!(await engineAvailable('PostgreSQL', 5432))) return t.skip('PostgreSQL is not reachable');
  const name = runId();
  const admin = new pg.Client({ host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres' });
  await admin.connect();
  try {
    const { value: store } = await table.resolve('store', `postgres://127.0.0.1:5432/test?table=${name}`, { nodeId: name });
    const w = writer(store);
    await until('20 writes', () => w.acked.length >= 20);
    const killed = async (): Promise<number> =>
      (await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [`micromesh ${name}`])).rowCount ?? 0;
    let terminated = 0;
    for (let round = 0; round < 3; round++) {
      const before = w.acked.length;
      terminated += await killed();
      await until('writes to go on', () => w.acked.length >= before + 10);
    }
    await w.stop();
    assert.ok(terminated > 0, 'connections were terminated');
    assert.ok(w.failures.every((e) => e.reason === 'UNAVAILABLE' && e.code === 503), w.failures.map((e) => e.detail).join('\n'));
    for (const key of w.acked) assert.equal(readText(await store.read(key)), `v${key.slice(1)}`, `acknowledged ${key} survived`);
    await store.close();
  } finally {
    await admin.query(`DROP TABLE IF EXISTS "${name}"`);
    await admin.end();
  }
});
