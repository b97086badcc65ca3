import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { engineAvailable, runId } from '../support/engines.ts';

const run = promisify(execFile);
const example = (file: string, env: Record<string, string> = {}) =>
  run(process.execPath, ['--import', 'tsx', file], { timeout: 60_000, env: { ...process.env, ...env } });

test('examples — store: records, a prefix read, a compare-and-set loser and an expired session, on the file store', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'micromesh-store-example-'));
  try {
    const { stdout } = await example('examples/store/main.ts', { MICRO_STORE: `file://${dir}` });
    assert.deepEqual(stdout.trim().split('\n'), [
      'file store, keys: cart/ada, cart/grace, session/ada',
      'cart/ada rev 1: {"items":["tea"]}',
      'cart/grace rev 1: {"items":["cobol","nanoseconds"]}',
      'second writer over revision 1: CONFLICT (409)',
      'session after its ttl: NOT_FOUND',
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('examples — reminders: a reminder set by a SIGKILLed process fires in the next one', async () => {
  const { stdout } = await example('examples/reminders/main.ts');
  assert.match(stdout, /\[pid (\d+)\] reminder "wake" set for 1500 ms from now/);
  const setter = /\[pid (\d+)\] reminder "wake" set/.exec(stdout)?.[1];
  assert.match(stdout, new RegExp(`reminder wake fired \\(set by pid ${setter}\\)`));
  assert.match(stdout, /the reminder survived its process/);
});

test('examples — leader: three candidates, the leader killed, another takes over with a greater fencing token', async (t) => {
  if (!(await engineAvailable('Redis', 6379))) return t.skip('Redis is not reachable');
  // A store prefix of its own: a record left under the example's default prefix by another run (or an earlier key
  // layout) is not this run's to meet.
  const prefix = runId();
  const redis = new Redis('redis://127.0.0.1:6379');
  t.after(async () => {
    const keys = [...(await redis.keys(`${prefix}:*`)), ...(await redis.keys(`${prefix}-meta:*`))];
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });
  const { stdout } = await example('examples/leader/main.ts', { MICRO_STORE: `redis://127.0.0.1:6379?prefix=${prefix}` });
  const leads = [...stdout.matchAll(/^(\w+) leads with fencing token (\d+)$/gm)];
  assert.equal(leads.length, 2, stdout);
  assert.notEqual(leads[0]?.[1], leads[1]?.[1]);
  assert.match(stdout, /took over after \d+ ms with token \d+ > \d+: true/);
  assert.doesNotMatch(stdout, /was refused/);
});
