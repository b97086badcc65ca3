import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { MicroError } from '../../src/mesh/errors.ts';
import { builtinPlugin } from '../../src/mesh/plugins/builtin.ts';
import { createPluginTable } from '../../src/mesh/plugins/table.ts';
import { withEnginePlugins } from '../../src/plugins/node.ts';
import { frontOf, until } from '../conformance/events.ts';
import { closedPort, untilListening } from '../support/engines.ts';
import { stopProcess } from '../support/processes.ts';
import { waitUntilAsync } from '../support/wait.ts';

const NATS_SERVER = '/usr/sbin/nats-server';
const REDIS_SERVER = '/usr/bin/redis-server';
const table = createPluginTable([builtinPlugin(), ...withEnginePlugins([])]);
after(() => table.close());

/** A server process of our own on `port`, restartable with the same data directory. */
function server(start: () => ChildProcess, port: number) {
  let child: ChildProcess | undefined;
  return {
    async start(): Promise<void> {
      child = start();
      await untilListening(port, 'the server');
    },
    async stop(): Promise<void> {
      if (child !== undefined) await stopProcess(child);
    },
  };
}

/**
 * Consumes while the server stops and comes back: the consumer comes back by itself, a publish made meanwhile either
 * succeeds (perhaps later) or fails with a typed 503, and every publish that was acknowledged is handled.
 */
async function survivesRestart(t: { diagnostic(m: string): void }, url: string, broker: ReturnType<typeof server>): Promise<void> {
  const front = frontOf((await table.resolve('events', url, { nodeId: 'restart', options: { nats: { pollMs: 200, publishTimeoutMs: 1500 }, redis: { pollMs: 200 } } })).value);
  try {
    const topic = 'restart.jobs';
    const handled = new Set<number>();
    await front.events.consume(topic, { group: 'workers', ackWaitMs: 1000 }, (e) => void handled.add(e.data as number));
    const stored: number[] = [];
    for (let i = 0; i < 10; i++) {
      await front.events.publish(topic, i);
      stored.push(i);
    }
    await until('the first events', () => stored.every((i) => handled.has(i)));
    await broker.stop();
    const failures: unknown[] = [];
    const during = Array.from({ length: 5 }, (_, k) => 100 + k);
    const outcomes = during.map((i) =>
      front.events.publish(topic, i).then(
        () => void stored.push(i),
        (err: unknown) => void failures.push(err),
      ),
    );
    await new Promise((r) => setTimeout(r, 300));
    await broker.start();
    await Promise.all(outcomes);
    for (const err of failures) assert.ok(err instanceof MicroError && err.code === 503, `a publish during the outage fails with a typed 503: ${String(err)}`);
    // After the restart, publishes succeed again once the client reconnected.
    for (let i = 200; i < 210; i++) {
      const published = () =>
        front.events.publish(topic, i).then(
          () => true,
          (err: unknown) => {
            assert.ok(err instanceof MicroError && err.code === 503, String(err));
            return false;
          },
        );
      await waitUntilAsync(published, 15_000, 'publishes to come back after the restart');
      stored.push(i);
    }
    await until('every acknowledged publish handled by the consumer, which came back by itself', () => stored.every((i) => handled.has(i)), 30_000);
    t.diagnostic(`${url.split(':')[0]}: ${failures.length} of ${during.length} publishes during the outage failed with 503; ${stored.length} stored and all handled`);
  } finally {
    await front.close();
  }
}

describe('events — the broker restarts', () => {
  test('nats-server (JetStream, file store) stops and comes back', async (t) => {
    if (!existsSync(NATS_SERVER)) return t.skip('no nats-server binary');
    const port = await closedPort();
    const dir = await mkdtemp(join(tmpdir(), 'micromesh-js-'));
    const broker = server(() => spawn(NATS_SERVER, ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' }), port);
    try {
      await broker.start();
      await survivesRestart(t, `nats://127.0.0.1:${port}`, broker);
    } finally {
      await broker.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('redis-server (append-only file) stops and comes back', async (t) => {
    if (!existsSync(REDIS_SERVER)) return t.skip('no redis-server binary');
    const port = await closedPort();
    const dir = await mkdtemp(join(tmpdir(), 'micromesh-redis-'));
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''];
    const broker = server(() => spawn(REDIS_SERVER, args, { stdio: 'ignore' }), port);
    try {
      await broker.start();
      await survivesRestart(t, `redis://127.0.0.1:${port}`, broker);
    } finally {
      await broker.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
