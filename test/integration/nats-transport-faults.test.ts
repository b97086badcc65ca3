import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { greeter } from '../../examples/helloworld/greeter.ts';
import { createRecordingLogger } from '../../src/actors/index.ts';
import { MicroError } from '../../src/mesh/errors.ts';
import type { MeshNode } from '../../src/mesh/node.ts';
import { createMemoryRegistry } from '../../src/mesh/registry/memory.ts';
import { defineService } from '../../src/mesh/service.ts';
import { createNode } from '../../src/plugins/node.ts';
import { createInterface } from 'node:readline';
import { natsServerBinaryAvailable, ownNatsServer } from '../support/nats-server.ts';
import { engineAvailable, runId } from '../support/engines.ts';
import { killChild, startProcess } from '../support/processes.ts';
import { waitUntilAsync } from '../support/wait.ts';

let handlerStarted: () => void = () => {};
const slow = defineService({
  name: 'slow',
  version: '1.0.0',
  endpoints: {
    'Slow.Wait': async (_req: unknown, ctx) => {
      handlerStarted();
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 30_000);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve(undefined);
        });
      });
      return 'late';
    },
  },
});

/** Calls until one succeeds, each with its own short deadline; fails after `ms`. */
async function untilCallWorks(node: MeshNode, ms: number): Promise<number> {
  const started = performance.now();
  const works = () => node.client.call('greeter', 'Say.Hello', { name: 'again' }, { timeoutMs: 1000 }).then(() => true, () => false);
  await waitUntilAsync(works, ms, 'a call to succeed');
  return performance.now() - started;
}

test('nats transport faults — the NATS server stops: calls fail with a typed 503 before their deadline; it restarts: calls resume', { skip: !natsServerBinaryAvailable() }, async () => {
  const server = await ownNatsServer();
  await server.start();
  const nodes: MeshNode[] = [];
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await server.stop();
  });
  const registry = createMemoryRegistry();
  const id = runId();
  const a = await createNode({ id: `${id}-a`, registry, transport: server.url, logger: createRecordingLogger() });
  const b = await createNode({ id: `${id}-b`, registry, transport: server.url, logger: createRecordingLogger() });
  nodes.push(a, b);
  await a.serve(greeter);
  await a.serve(slow);
  assert.deepEqual(await b.client.call('greeter', 'Say.Hello', { name: 'Ada' }), { msg: 'Hello Ada' });

  // A call in flight when the server goes away fails at once with 503, not at its 20 s deadline.
  const running = new Promise<void>((resolve) => {
    handlerStarted = resolve;
  });
  const inFlight = b.client.call('slow', 'Slow.Wait', {}, { timeoutMs: 20_000 }).catch((e: unknown) => e);
  await running;
  const stoppedAt = performance.now();
  await server.stop();
  const lost = await inFlight;
  assert.ok(lost instanceof MicroError, String(lost));
  assert.equal(lost.code, 503, lost.message);
  assert.ok(performance.now() - stoppedAt < 5000, `failed after ${performance.now() - stoppedAt} ms`);

  // While it is down, a new call cannot be carried: a typed 503 before its deadline.
  const t0 = performance.now();
  const down = await b.client.call('greeter', 'Say.Hello', { name: 'x' }, { timeoutMs: 2000 }).catch((e: unknown) => e);
  assert.ok(down instanceof MicroError, String(down));
  assert.equal(down.code, 503, down.message);
  assert.ok(performance.now() - t0 < 2500, `took ${performance.now() - t0} ms`);

  await server.start();
  const resumedAfter = await untilCallWorks(b, 15_000);
  assert.deepEqual(await b.client.call('greeter', 'Say.Hello', { name: 'Grace' }), { msg: 'Hello Grace' });
  console.log(`# calls resumed ${Math.round(resumedAfter)} ms after the server came back`);
});

test('nats transport faults — a peer process killed mid-call: the call fails with 503 within seconds, not at its deadline', { skip: !(await engineAvailable('NATS', 4222)) }, async () => {
  const id = runId();
  const { child, ready } = await startProcess('nats-slow-node.ts', { MICRO_NODE_ID: `${id}-slow`, NATS_URL: 'nats://127.0.0.1:4222' });
  const registry = createMemoryRegistry();
  const caller = await createNode({ id: `${id}-caller`, registry, transport: 'nats://127.0.0.1:4222', logger: createRecordingLogger() });
  after(async () => {
    await killChild(child);
    await caller.stop();
  });
  const address = ready.slice('ready '.length);
  assert.equal(address, `nats://${id}-slow`);
  await registry.register({ name: 'slow', version: '1.0.0', metadata: {}, endpoints: [], nodes: [{ id: `${id}-slow`, address, metadata: {} }] });
  const handling = new Promise<void>((resolve) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line === 'handling') resolve();
    });
  });
  const call = caller.client.call('slow', 'Slow.Wait', {}, { timeoutMs: 20_000 }).catch((e: unknown) => e);
  await handling;
  const killedAt = performance.now();
  await killChild(child);
  const err = await call;
  const tookMs = performance.now() - killedAt;
  assert.ok(err instanceof MicroError, String(err));
  assert.equal(err.code, 503, err.message);
  assert.ok(tookMs < 5000, `failed ${Math.round(tookMs)} ms after the kill`);
});
