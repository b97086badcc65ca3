import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { builtinPlugin } from '../../src/mesh/plugins/builtin.ts';
import { createPluginTable, type PluginTable } from '../../src/mesh/plugins/table.ts';
import { withEnginePlugins } from '../../src/plugins/node.ts';
import { engineAvailable, runId } from '../support/engines.ts';
import { startProcess, stopProcess } from '../support/processes.ts';

const ROUNDS = 200;

/** Runs a fixture to its end; rejects on a non-zero exit or after `timeoutMs`. */
function runFixture(file: string, env: Record<string, string>, timeoutMs: number): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(`../fixtures/${file}`, import.meta.url))], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${file} (${env.WHO ?? ''}) exited with ${code ?? signal}`));
    });
  });
}

describe('sync on Redis across processes', { timeout: 120_000 }, () => {
  const prefix = runId();
  const url = `redis://127.0.0.1:6379?prefix=${prefix}`;
  let redis: Redis | undefined;
  let plugins: PluginTable;
  before(async () => {
    plugins = createPluginTable([builtinPlugin(), ...withEnginePlugins([])]);
    if (await engineAvailable('Redis', 6379)) redis = new Redis('redis://127.0.0.1:6379');
  });
  after(async () => {
    if (redis !== undefined) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
    await plugins.close();
  });

  test('redis sync — two processes take turns 200 times each: no two holds overlap, tokens strictly increase', async (t) => {
    if (redis === undefined) return t.skip('Redis is not reachable');
    const env = { SYNC_URL: url, SYNC_LOCK: 'counter', SYNC_LOG: `${prefix}-data:log`, SYNC_COUNTER: `${prefix}-data:counter`, ROUNDS: String(ROUNDS) };
    await Promise.all([runFixture('sync-contender.ts', { ...env, WHO: 'a' }, 90_000), runFixture('sync-contender.ts', { ...env, WHO: 'b' }, 90_000)]);
    const log = await redis.lrange(`${prefix}-data:log`, 0, -1);
    assert.equal(log.length, 4 * ROUNDS);
    let last = 0;
    for (let i = 0; i < log.length; i += 2) {
      const [enter, who, token] = (log[i] as string).split(' ');
      assert.equal(enter, 'enter', `entry ${i}: ${log[i]}`);
      assert.equal(log[i + 1], `exit ${who} ${token}`, `the hold at entry ${i} is exited before any other begins`);
      assert.ok(Number(token) > last, `token ${token} after ${last}`);
      last = Number(token);
    }
    const holders = new Set(log.map((l) => l.split(' ')[1]));
    assert.deepEqual([...holders].sort(), ['a', 'b']);
    assert.equal(await redis.get(`${prefix}-data:counter`), String(2 * ROUNDS), 'no update was lost');
  });

  test('redis sync — a holder killed with SIGKILL loses the lock: a waiter gets it within ttl + 1 s', async (t) => {
    if (redis === undefined) return t.skip('Redis is not reachable');
    const { child, ready } = await startProcess('sync-holder.ts', { SYNC_URL: url, SYNC_LOCK: 'killed' });
    const held = Number(ready.split(' ')[1]);
    const { value: sync } = await plugins.resolve('sync', url, { nodeId: 'waiter' });
    try {
      await assert.rejects(sync.lock('killed', { waitMs: 0 }), /LOCK_TIMEOUT|still held/);
      await stopProcess(child, 'SIGKILL');
      const killedAt = performance.now();
      const lease = await sync.lock('killed', { ttlMs: 5000, waitMs: 5000 });
      const waited = performance.now() - killedAt;
      assert.ok(waited < 2000, `got it ${Math.round(waited)} ms after the kill`);
      assert.ok(lease.token > held);
      await lease.release();
    } finally {
      await stopProcess(child, 'SIGKILL');
      await sync.close();
    }
  });
});
