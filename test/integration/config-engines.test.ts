import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { connect, type NatsConnection } from 'nats';
import { createRecordingLogger } from '../../src/actors/index.ts';
import { MicroError } from '../../src/mesh/errors.ts';
import type { MeshNode } from '../../src/mesh/node.ts';
import { defineService } from '../../src/mesh/service.ts';
import { EtcdClient } from '../../src/plugins/etcd/client.ts';
import { createNode } from '../../src/plugins/node.ts';
import { closedPort, engineAvailable, reachable, runId } from '../support/engines.ts';
import { etcdAvailable } from '../support/etcd.ts';
import { waitUntil } from '../support/wait.ts';
import { waitUntilAsync } from '../support/wait.ts';

const nodes: MeshNode[] = [];
after(() => Promise.all(nodes.map((n) => n.stop())));
const inMemory = (id: string) => ({ id, registry: 'memory', transport: 'memory', address: `mem://${id}` }) as const;
const reason = (r: string) => (err: unknown) => err instanceof MicroError && err.reason === r;

test('config engines — a NATS KV key hot-reloads a node\'s client deadline for one service, without a restart', async (t) => {
  if (!(await engineAvailable('NATS', 4222))) return t.skip('no NATS');
  const bucket = runId();
  const nc: NatsConnection = await connect({ servers: '127.0.0.1:4222' });
  const kv = await nc.jetstream().views.kv(bucket);
  await kv.put('app.client.services.slow.timeoutMs', '50');
  const node = await createNode({ ...inMemory('nats-config'), config: ['env', `nats://127.0.0.1:4222/${bucket}/app`], configOptions: { debounceMs: 5 } });
  nodes.push(node);
  await node.serve(
    defineService({
      name: 'slow',
      endpoints: {
        'Work.Do': (_req: unknown, ctx) =>
          new Promise((resolve, reject) => {
            const timer = setTimeout(() => resolve('done'), 150);
            ctx.signal.addEventListener('abort', () => {
              clearTimeout(timer);
              reject(ctx.signal.reason);
            });
          }),
      },
    }),
  );
  try {
    await assert.rejects(node.client.call('slow', 'Work.Do', {}), reason('TIMEOUT'));
    await kv.put('app.client.services.slow.timeoutMs', '3000');
    await waitUntil(() => node.config.get('client.services.slow.timeoutMs') === 3000, 5000, 'the KV change');
    assert.equal(await node.client.call('slow', 'Work.Do', {}), 'done');
  } finally {
    await kv.destroy();
    await nc.close();
  }
});

test('config engines — an etcd key hot-reloads node.config and fires its watcher once', async (t) => {
  if (!(await etcdAvailable())) return t.skip('no etcd');
  const prefix = `/${runId()}/config`;
  const etcd = new EtcdClient('http://127.0.0.1:2379');
  await etcd.put(`${prefix}/features/beta`, 'false');
  const node = await createNode({ ...inMemory('etcd-config'), config: `etcd://127.0.0.1:2379${prefix}`, configOptions: { debounceMs: 5 } });
  nodes.push(node);
  const seen: unknown[] = [];
  node.config.watch('features.beta', (v) => seen.push(v));
  try {
    assert.equal(node.config.get('features.beta'), false);
    await etcd.put(`${prefix}/features/beta`, 'true');
    await waitUntil(() => seen.length > 0, 5000, 'the etcd change');
    await etcd.put(`${prefix}/features/other`, '1');
    await waitUntil(() => node.config.get('features.other') === 1, 5000, 'an unrelated change');
    assert.deepEqual(seen, [true]);
  } finally {
    await etcd.deletePrefix(prefix);
  }
});

test('config engines — unreachable NATS and etcd do not stop a node: earlier sources stand in and the failure is logged', async () => {
  const logger = createRecordingLogger();
  const [natsPort, etcdPort] = [await closedPort(), await closedPort()];
  const node = await createNode({
    ...inMemory('unreachable-config'),
    logger,
    config: ['memory', `nats://127.0.0.1:${natsPort}/cfg/app`, `etcd://127.0.0.1:${etcdPort}/app`],
    configOptions: { memory: { mode: 'defaults' }, nats: { connectTimeoutMs: 500 }, etcd: { timeoutMs: 500 } },
  });
  nodes.push(node);
  assert.equal(node.config.get('mode'), 'defaults');
  const failed = logger.entries.filter((e) => e.message.startsWith('config source failed')).map((e) => String(e.fields.source));
  assert.deepEqual(failed.sort(), [`etcd http://127.0.0.1:${etcdPort}/app`, 'nats kv cfg/app']);
});

test('config engines — a NATS source that was down at startup is read once its server comes up', async (t) => {
  if (!(await engineAvailable('NATS', 4222))) return t.skip('no NATS');
  const port = await closedPort();
  const node = await createNode({
    ...inMemory('late-nats'),
    config: ['memory', `nats://127.0.0.1:${port}/late/app`],
    configOptions: { memory: { mode: 'defaults' }, nats: { connectTimeoutMs: 300 }, debounceMs: 5 },
  });
  nodes.push(node);
  assert.equal(node.config.get('mode'), 'defaults');
  const dir = mkdtempSync(join(tmpdir(), 'mm-nats-'));
  const server = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: 'ignore' });
  try {
    await waitUntilAsync(() => reachable(port, 200), 10_000, 'the NATS server');
    const nc = await connect({ servers: `127.0.0.1:${port}` });
    const kv = await nc.jetstream().views.kv('late');
    await kv.put('app.mode', 'from-kv');
    await nc.close();
    await waitUntil(() => node.config.get('mode') === 'from-kv', 20_000, 'the source once its server is up');
  } finally {
    server.kill('SIGKILL');
    await new Promise((r) => server.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
});

