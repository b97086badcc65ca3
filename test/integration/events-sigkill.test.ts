import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { connect } from 'nats';
import { builtinPlugin } from '../../src/mesh/plugins/builtin.ts';
import { createPluginTable } from '../../src/mesh/plugins/table.ts';
import { withEnginePlugins } from '../../src/plugins/node.ts';
import { frontOf, until } from '../conformance/events.ts';
import { engineAvailable, runId } from '../support/engines.ts';
import { killChild, stopProcess } from '../support/processes.ts';

const COUNT = 200;
const table = createPluginTable([builtinPlugin(), ...withEnginePlugins([])]);
after(() => table.close());

interface Run {
  readonly handled: number[];
  readonly acked: number[];
  readonly child: ChildProcess;
  /** Resolves once every line the process printed was read. */
  readonly drained: Promise<void>;
}

/** Starts the consumer fixture; every line it prints is read by one reader, from the first. */
async function consumerProcess(env: Record<string, string>): Promise<Run> {
  const fixture = fileURLToPath(new URL('../fixtures/events-consumer.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const run: Run = { handled: [], acked: [], child, drained: new Promise((resolve) => lines.once('close', resolve)) };
  let ready = false;
  lines.on('line', (line) => {
    const [what, seq] = line.split(' ');
    if (what === 'ready') ready = true;
    else if (what === 'handled') run.handled.push(Number(seq));
    else if (what === 'acked') run.acked.push(Number(seq));
  });
  await until('the consumer process ready', () => ready || child.exitCode !== null, 20_000);
  if (!ready) throw new Error(`the consumer process exited with ${child.exitCode}`);
  return run;
}

interface Backend {
  readonly url: string;
  cleanup(): Promise<void>;
}

/**
 * Publishes COUNT events, runs a consumer process, kills it with SIGKILL mid-stream, starts it again: the group
 * resumes from the first unacked event, every event is acked, no acked event is handled again, and the duplicates
 * (handled in both runs) are counted and reported.
 */
async function killAndResume(t: { diagnostic(message: string): void }, backend: Backend): Promise<void> {
  const topic = `${runId()}.jobs`;
  const publisher = frontOf((await table.resolve('events', backend.url, { nodeId: 'publisher' })).value);
  const published: number[] = [];
  try {
    for (let i = 0; i < COUNT; i++) published.push(await publisher.events.publish(topic, { i }));
  } finally {
    await publisher.close();
  }
  const env = { EVENTS_URL: backend.url, EVENTS_TOPIC: topic, EVENTS_GROUP: 'workers', EVENTS_NODE: 'sigkill-worker' };
  let second: Run | undefined;
  try {
    const first = await consumerProcess(env);
    await until('a third of the events acked', () => first.acked.length >= COUNT / 3, 30_000);
    await killChild(first.child);
    await first.drained;
    const ackedBefore = new Set(first.acked);
    // Handled in run 1 without an `acked` line: the kill came before or after its ack reached the back end.
    const unknown = new Set(first.handled.filter((s) => !ackedBefore.has(s)));
    second = await consumerProcess(env);
    const run2 = second;
    const settled = (s: number) => ackedBefore.has(s) || run2.acked.includes(s);
    // An event of `unknown` not handled again was acked by run 1 (its ack landed before the kill).
    const done = () => published.every((s) => settled(s) || (unknown.has(s) && !run2.handled.includes(s) && run2.acked.some((a) => a > s)));
    await until('every event acked', done, 30_000).catch((err) => {
      const missing = published.filter((s) => !settled(s));
      t.diagnostic(`missing ${missing.length}: ${missing.slice(0, 10).join(' ')}; run 2 handled ${run2.handled.length}, acked ${run2.acked.length}`);
      throw err;
    });
    const again = run2.handled.filter((s) => ackedBefore.has(s));
    assert.deepEqual(again, [], 'an acked event is never delivered again to its group');
    // The group resumes from the first unacked event: the first not acked in run 1, or, when its ack landed just
    // before the kill, the one after it.
    const pending = published.filter((s) => !ackedBefore.has(s));
    const resumedAt = Math.min(...run2.handled);
    const firstUnacked = pending[0] as number;
    assert.ok(resumedAt === firstUnacked || (unknown.has(firstUnacked) && !run2.handled.includes(firstUnacked) && resumedAt === pending[1]), `the group resumes from the first unacked event ${firstUnacked}, not ${resumedAt}`);
    const duplicates = first.handled.length + run2.handled.length - COUNT;
    t.diagnostic(`${backend.url.split(':')[0]}: killed after ${first.acked.length} acks; ${duplicates} duplicate deliveries (handled before the kill, not acked)`);
    assert.ok(duplicates >= 0 && run2.handled.filter((s) => first.handled.includes(s)).every((s) => unknown.has(s)), 'only events without an ack in run 1 are handled again');
  } finally {
    if (second !== undefined) await stopProcess(second.child);
    await backend.cleanup();
  }
}

describe('events — a consumer process killed with SIGKILL mid-stream loses nothing', () => {
  test('file', async (t) => {
    const directory = await mkdtemp(join(tmpdir(), 'micromesh-sigkill-'));
    await killAndResume(t, { url: `file://${directory}`, cleanup: () => rm(directory, { recursive: true, force: true }) });
  });

  test('jetstream', async (t) => {
    if (!(await engineAvailable('NATS', 4222))) return t.skip('NATS not available');
    const prefix = `EV_${runId()}_`;
    await killAndResume(t, {
      url: `nats://127.0.0.1:4222?streamPrefix=${prefix}&storage=memory`,
      cleanup: async () => {
        const nc = await connect({ servers: '127.0.0.1:4222' });
        const jsm = await nc.jetstreamManager();
        for await (const s of jsm.streams.list()) if (s.config.name.startsWith(prefix) || s.config.name.startsWith(`KV_${prefix}`)) await jsm.streams.delete(s.config.name);
        await nc.close();
      },
    });
  });

  test('redis', async (t) => {
    if (!(await engineAvailable('Redis', 6379))) return t.skip('Redis not available');
    const prefix = runId();
    await killAndResume(t, {
      url: `redis://127.0.0.1:6379?prefix=${prefix}`,
      cleanup: async () => {
        const redis = new Redis('redis://127.0.0.1:6379');
        const keys = await redis.keys(`${prefix}:*`);
        if (keys.length > 0) await redis.del(...keys);
        redis.disconnect();
      },
    });
  });
});
