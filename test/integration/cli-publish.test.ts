import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Delivery } from '../../src/mesh/broker/api.ts';
import type { MeshNode } from '../../src/mesh/mesh-node.ts';
import { createMemoryRegistry } from '../../src/mesh/registry/memory.ts';
import { createNode } from '../../src/plugins/node.ts';
import { type Ran, runMicro } from '../support/cli.ts';
import { engineAvailable, runId } from '../support/engines.ts';
import { randomMdnsPort } from '../support/processes.ts';
import { waitUntil } from '../support/wait.ts';

const micro = (args: string[], env: Record<string, string> = {}, input = ''): Promise<Ran> => runMicro(args, input, env);

const port = randomMdnsPort();
const topic = `${runId()}.cli.orders`;
let node: MeshNode;
const got: Array<{ message: unknown; delivery: Delivery }> = [];

before(async () => {
  node = await createNode({ id: `${runId()}-sub`, mdns: { port }, broker: 'mesh' });
  await node.subscribe(topic, (message, delivery) => void got.push({ message, delivery }));
});
after(() => node.stop());

test('cli publish — --help shows the usage, the broker flag and an example', async () => {
  const ran = await micro(['publish', '--help']);
  assert.equal(ran.code, 0);
  assert.match(ran.stdout, /micro publish orders\.created '\{"id":42\}'/);
  assert.match(ran.stdout, /--broker <name\|url>/);
  assert.match(ran.stdout, /MICRO_BROKER/);
});

test('cli publish — over the mesh-native broker, found through mDNS, with metadata', async () => {
  const ran = await micro(['publish', topic, '{"id":42}', '--mdns-port', String(port), '--metadata', '{"x-from":"cli"}']);
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal(ran.stdout, `published to ${topic}\n`);
  await waitUntil(() => got.length === 1, 5000, 'the message');
  assert.deepEqual(got[0]?.message, { id: 42 });
  assert.equal(got[0]?.delivery.metadata['x-from'], 'cli');
});

test('cli publish — MICRO_BROKER chooses NATS; the message comes from stdin', async () => {
  if (!(await engineAvailable('NATS', 4222))) return;
  const sub = await createNode({ id: `${runId()}-nats`, registry: createMemoryRegistry(), broker: 'nats://127.0.0.1:4222' });
  try {
    const seen: unknown[] = [];
    const natsTopic = `${runId()}.cli.nats`;
    await sub.subscribe(natsTopic, (m) => void seen.push(m));
    const ran = await micro(['publish', natsTopic, '-', '--registry', 'memory', '--transport', 'memory', '--output', 'json'], { MICRO_BROKER: 'nats://127.0.0.1:4222' }, '{"via":"stdin"}');
    assert.equal(ran.code, 0, ran.stderr);
    assert.deepEqual(JSON.parse(ran.stdout), { topic: natsTopic, published: true });
    await waitUntil(() => seen.length === 1, 5000, 'the message');
    assert.deepEqual(seen[0], { via: 'stdin' });
  } finally {
    await sub.stop();
  }
});

test('cli publish — a bad topic or bad JSON is one line on stderr and exit 1', async () => {
  const offline = ['--registry', 'memory', '--transport', 'memory', '--broker', 'memory'];
  const badTopic = await micro(['publish', 'orders..created', '{}', ...offline]);
  assert.equal(badTopic.code, 1);
  assert.match(badTopic.stderr, /^micro: MicroError 400 BAD_REQUEST .*invalid topic "orders\.\.created": empty segment/);
  assert.equal(badTopic.stderr.trim().split('\n').length, 1);
  const badJson = await micro(['publish', 'orders.created', '{oops', ...offline]);
  assert.equal(badJson.code, 1);
  assert.match(badJson.stderr, /^micro: Error: the message must be JSON/);
  const badBroker = await micro(['publish', 'orders.created', '{}', '--registry', 'memory', '--transport', 'memory', '--broker', 'carrier-pigeon']);
  assert.equal(badBroker.code, 1);
  assert.match(badBroker.stderr, /^micro: .*carrier-pigeon/);
});
