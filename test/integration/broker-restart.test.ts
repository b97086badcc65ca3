import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import type { MeshNode } from '../../src/mesh/mesh-node.ts';
import { MicroError } from '../../src/mesh/errors.ts';
import { createMemoryRegistry } from '../../src/mesh/registry/memory.ts';
import { createNode } from '../../src/plugins/node.ts';
import { closedPort, runId, untilListening } from '../support/engines.ts';
import { killChild } from '../support/processes.ts';
import { waitUntil } from '../support/wait.ts';
import { waitUntilAsync } from '../support/wait.ts';

const NATS_SERVER = '/usr/sbin/nats-server';
const REDIS_SERVER = '/usr/bin/redis-server';

/** A server process of this test's own on `port`, up once it accepts connections. */
async function startServer(bin: string, args: string[], port: number): Promise<ChildProcess> {
  const child = spawn(bin, args, { stdio: 'ignore' });
  await untilListening(port, bin, child);
  return child;
}


/**
 * Subscribes, stops the server, publishes meanwhile, starts it again: the subscription comes back by itself, and each
 * publish made meanwhile either resolved (and, where the client buffered it, arrives) or failed with a typed 503.
 */
async function restartScenario(start: () => Promise<ChildProcess>, broker: string, bufferedArrive: boolean): Promise<void> {
  let server = await start();
  let node: MeshNode | undefined;
  try {
    node = await createNode({ id: runId(), registry: createMemoryRegistry(), broker });
    const topic = `${runId()}.restart`;
    const got: unknown[] = [];
    await node.subscribe(topic, (m) => void got.push(m));
    await node.publish(topic, 'before');
    await waitUntil(() => got.includes('before'), 5000, 'the first message');
    await killChild(server);
    const outcomes = await Promise.all(
      [0, 1, 2].map((i) =>
        (node as MeshNode).publish(topic, `during-${i}`).then(
          () => ({ ok: true as const, i }),
          (err: unknown) => ({ ok: false as const, i, err }),
        ),
      ),
    );
    for (const o of outcomes) if (!o.ok) assert.ok(o.err instanceof MicroError && o.err.code === 503 && o.err.retryable, `a failed publish is a typed 503: ${String(o.err)}`);
    server = await start();
    // The subscription comes back by itself: keep publishing until one gets through.
    let n = 0;
    await waitUntilAsync(
      async () => {
        await (node as MeshNode).publish(topic, `after-${n++}`).catch(() => {});
        await new Promise((r) => setTimeout(r, 100));
        return got.some((m) => String(m).startsWith('after-'));
      },
      20_000,
      'a message after the restart',
    );
    if (bufferedArrive) {
      for (const o of outcomes) if (o.ok) await waitUntil(() => got.includes(`during-${o.i}`), 5000, `during-${o.i}, published while the server was away`);
    }
  } finally {
    await node?.stop();
    await killChild(server);
  }
}

test('broker restart — NATS: the subscription comes back; publishes meanwhile arrive later or fail with a 503', { timeout: 60_000 }, async () => {
  if (!existsSync(NATS_SERVER)) return void console.log('# skipping: no nats-server binary');
  const port = await closedPort();
  await restartScenario(() => startServer(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port)], port), `nats://127.0.0.1:${port}`, true);
});

test('broker restart — Redis: the subscriber connection re-subscribes; publishes meanwhile fail with a 503', { timeout: 60_000 }, async () => {
  if (!existsSync(REDIS_SERVER)) return void console.log('# skipping: no redis-server binary');
  const port = await closedPort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  await restartScenario(() => startServer(REDIS_SERVER, args, port), `redis://127.0.0.1:${port}`, false);
});
