import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { builtinPlugin } from '../../src/mesh/plugins/builtin.ts';
import { createPluginTable, type PluginTable } from '../../src/mesh/plugins/table.ts';
import { readText } from '../../src/mesh/store/store.ts';
import { withEnginePlugins } from '../../src/plugins/node.ts';
import { engineAvailable, runId } from '../support/engines.ts';
import { startProcess, stopProcess } from '../support/processes.ts';

/** Holds per process: two processes contend 1000 times in all. */
const ROUNDS = 500;

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

const ENGINES = [
  { name: 'redis', port: 6379, url: (id: string) => `redis://127.0.0.1:6379?prefix=${id}` },
  { name: 'postgres', port: 5432, url: (id: string) => `postgres://127.0.0.1:5432/test?table=${id}` },
  { name: 'nats', port: 4222, url: (id: string) => `nats://127.0.0.1:4222?prefix=${id.replaceAll('_', '-')}` },
] as const;

let redis: Redis | undefined;
let plugins: PluginTable;
const prefixes: string[] = [];
before(async () => {
  plugins = createPluginTable([builtinPlugin(), ...withEnginePlugins([])]);
  if (await engineAvailable('Redis', 6379)) redis = new Redis('redis://127.0.0.1:6379');
});
after(async () => {
  if (redis !== undefined) {
    for (const prefix of prefixes) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    redis.disconnect();
  }
  await plugins.close();
});

/** The next line `child` prints that starts with `start`. */
function nextLine(child: ReturnType<typeof spawn>, start: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const timer = setTimeout(() => {
      lines.close();
      reject(new Error(`no line starting with ${start} within ${timeoutMs} ms`));
    }, timeoutMs);
    lines.on('line', (line) => {
      if (!line.startsWith(start)) return;
      clearTimeout(timer);
      lines.close();
      resolve(line);
    });
  });
}

for (const engine of ENGINES) {
  describe(`sync on ${engine.name} across processes`, { timeout: 180_000 }, () => {
    const id = runId();
    prefixes.push(id);
    const url = engine.url(id);
    // The shared resource the holders write to, with their fencing tokens: a Redis store of its own.
    const storeUrl = `redis://127.0.0.1:6379?prefix=${id}-data`;
    let up = false;
    before(async () => {
      up = redis !== undefined && (await engineAvailable(engine.name, engine.port));
    });

    test(`${engine.name} sync — two processes contend ${2 * ROUNDS} times: no holds overlap, tokens grow, every fenced write lands`, async (t) => {
      if (!up || redis === undefined) return t.skip(`${engine.name} or Redis is not reachable`);
      const env = { SYNC_URL: url, SYNC_LOCK: 'counter', SYNC_LOG: `${id}-log`, STORE_URL: storeUrl, ROUNDS: String(ROUNDS) };
      await Promise.all([runFixture('sync-contender.ts', { ...env, WHO: 'a' }, 150_000), runFixture('sync-contender.ts', { ...env, WHO: 'b' }, 150_000)]);
      const log = await redis.lrange(`${id}-log`, 0, -1);
      assert.equal(log.length, 4 * ROUNDS);
      let last = 0;
      for (let i = 0; i < log.length; i += 2) {
        const [enter, who, token] = (log[i] as string).split(' ');
        assert.equal(enter, 'enter', `entry ${i}: ${log[i]}`);
        assert.equal(log[i + 1], `exit ${who} ${token}`, `the hold at entry ${i} is exited before any other begins`);
        assert.ok(Number(token) > last, `token ${token} after ${last}`);
        last = Number(token);
      }
      assert.deepEqual([...new Set(log.map((l) => l.split(' ')[1]))].sort(), ['a', 'b']);
      const { value: store } = await plugins.resolve('store', storeUrl, { nodeId: 'checker' });
      const counter = await store.read('counter');
      assert.equal(readText(counter), String(2 * ROUNDS), 'no update was lost');
      assert.equal(counter.metadata['micro-fence'], String(last), 'the last write carried the greatest token');
      await store.close();
    });

    test(`${engine.name} sync — a holder killed with SIGKILL loses the lock: a waiter gets it within ttl + 1 s`, async (t) => {
      if (!up) return t.skip(`${engine.name} is not reachable`);
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

    test(`${engine.name} sync — a holder paused past its ttl learns it lost on waking, and its stale token cannot write`, async (t) => {
      if (!up) return t.skip(`${engine.name} or Redis is not reachable`);
      const storeOfPaused = `redis://127.0.0.1:6379?prefix=${id}-paused`;
      const { child, ready } = await startProcess('sync-paused.ts', { SYNC_URL: url, SYNC_LOCK: 'paused', STORE_URL: storeOfPaused });
      const held = Number(ready.split(' ')[1]);
      const { value: sync } = await plugins.resolve('sync', url, { nodeId: 'next' });
      const { value: store } = await plugins.resolve('store', storeOfPaused, { nodeId: 'next' });
      try {
        await nextLine(child, 'wrote', 5000);
        child.kill('SIGSTOP');
        const lease = await sync.lock('paused', { ttlMs: 5000, waitMs: 5000 });
        assert.ok(lease.token > held);
        await store.write({ key: 'fenced', value: 'next' }, { fencingToken: lease.token });
        const refused = nextLine(child, 'refused', 5000);
        child.kill('SIGCONT');
        assert.equal(await refused, 'refused true true CONFLICT', 'lease.lost was true and onLost had run before the write, which the store refused');
        assert.equal(readText(await store.read('fenced')), 'next', 'the new holder’s write stands');
        await lease.release();
      } finally {
        child.kill('SIGCONT');
        await stopProcess(child, 'SIGKILL');
        await sync.close();
        await store.close();
      }
    });
  });
}
