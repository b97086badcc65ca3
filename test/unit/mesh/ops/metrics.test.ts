import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { createMemoryRegistry } from '../../../../src/mesh/registry/memory.ts';
import { Metrics } from '../../../../src/mesh/ops/metric-names.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { compose } from '../../../../src/mesh/middleware/middleware.ts';
import { createMessagingCounters, MAX_TOPICS } from '../../../../src/mesh/ops/messaging-metrics.ts';
import { MAX_ACTOR_KINDS, metricsMiddleware, nodeCollectors, supervisorKind } from '../../../../src/mesh/ops/metrics.ts';
import { createActorSystem } from '../../../../src/supervisor/index.ts';

const doc = readFileSync(new URL('../../../../docs/metrics.md', import.meta.url), 'utf8');

test('metrics — docs/metrics.md lists every metric with its type, labels and help, and nothing else', () => {
  const rows = new Map<string, string[]>();
  for (const line of doc.split('\n')) {
    const m = /^\| `([a-z_]+)` \|(.*)\|$/.exec(line);
    if (m) rows.set(m[1] as string, (m[2] as string).split(' | ').map((c) => c.trim()));
  }
  assert.deepEqual([...rows.keys()].sort(), Object.keys(Metrics).sort());
  for (const [name, spec] of Object.entries(Metrics)) {
    const [kind, labels, help] = rows.get(name) as string[];
    assert.equal(kind, spec.kind, name);
    assert.equal(labels, spec.labels.map((l) => `\`${l}\``).join(', ') || '—', name);
    assert.equal(help, spec.help, name);
  }
});

test('metrics — a node registry holds exactly the listed metrics, with their help', async () => {
  const registry = new Registry();
  const system = createActorSystem({ nodeId: 'm' });
  metricsMiddleware(registry);
  const stop = nodeCollectors(registry, { system, registry: createMemoryRegistry(), connections: () => [] });
  try {
    const json = await registry.getMetricsAsJSON();
    assert.deepEqual(json.map((m) => m.name).sort(), Object.keys(Metrics).sort());
    for (const m of json) assert.equal(m.help, Metrics[m.name as keyof typeof Metrics].help);
  } finally {
    stop();
    await system.terminate();
  }
});

test('metrics — dead letters by kind and reason and restarts by supervisor kind, from system events', async () => {
  const registry = new Registry();
  const system = createActorSystem({ nodeId: 'm' });
  const connections = [
    { dialer: true, name: 'b' },
    { dialer: false, name: 'b' },
    { dialer: true, name: 'c' },
  ];
  const stop = nodeCollectors(registry, { system, registry: createMemoryRegistry(), connections: () => connections });
  try {
    system.events.publish({ type: 'dead-letter', recipient: '/user/x', message: 1, sender: undefined, reason: 'overflow' });
    system.events.publish({ type: 'dead-letter', recipient: '/user/y', message: 2, sender: undefined, reason: 'overflow' });
    system.events.publish({ type: 'actor-restarted', actor: '/user/services/greeter/instance-3', incarnation: 2, restarts: 1 });
    system.events.publish({ type: 'actor-restarted', actor: '/user/services/greeter/instance-7', incarnation: 2, restarts: 1 });
    const text = await registry.metrics();
    assert.match(text, /^actor_dead_letters_total\{kind="\/user\/x",reason="overflow"\} 1$/m);
    assert.match(text, /^actor_dead_letters_total\{kind="\/user\/y",reason="overflow"\} 1$/m);
    assert.match(text, /^actor_restarts_total\{supervisor="\/user\/services\/greeter"\} 2$/m);
    assert.match(text, /^mesh_connections\{direction="dialed"\} 2$/m);
    assert.match(text, /^mesh_connections\{direction="accepted"\} 1$/m);
    assert.match(text, /^mesh_peers 2$/m);
    stop();
    system.events.publish({ type: 'dead-letter', recipient: '/user/x', message: 1, sender: undefined, reason: 'overflow' });
    assert.match(await registry.metrics(), /^actor_dead_letters_total\{kind="\/user\/x",reason="overflow"\} 1$/m, 'no counting once stopped');
  } finally {
    stop();
    await system.terminate();
  }
});

test('metrics — supervisor kinds fold ids and slots', () => {
  assert.equal(supervisorKind('/user/services/greeter/instance-3'), '/user/services/greeter');
  assert.equal(supervisorKind('/system/node/registry-watch'), '/system/node');
  assert.equal(supervisorKind('/user/job-4f2a9/worker'), '/user/*');
});

test('metrics — actor kinds are capped: dead letters to a flood of made-up names add at most one series more', async () => {
  const registry = new Registry();
  const system = createActorSystem({ nodeId: 'm' });
  const stop = nodeCollectors(registry, { system, registry: createMemoryRegistry(), connections: () => [] });
  try {
    for (let i = 0; i < 1000; i++) {
      const name = `job-${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26) % 26)}${'x'.repeat(i % 7)}`;
      system.events.publish({ type: 'dead-letter', recipient: `mesh://evil/user/${name}`, message: i, sender: undefined, reason: 'unknown' });
    }
    const series = (await registry.metrics()).split('\n').filter((l) => l.startsWith('actor_dead_letters_total{'));
    assert.ok(series.length <= MAX_ACTOR_KINDS + 1, `${series.length} series`);
    assert.ok(series.some((l) => l.includes('kind="other"')), 'the rest counted as other');
    const total = series.reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    assert.equal(total, 1000);
  } finally {
    stop();
    await system.terminate();
  }
});

test('metrics — mailbox depth is summed by actor kind at scrape time', async () => {
  const registry = new Registry();
  const system = createActorSystem({ nodeId: 'm' });
  const stop = nodeCollectors(registry, { system, registry: createMemoryRegistry(), connections: () => [] });
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  try {
    const workers = [1, 2].map((i) => system.spawn<number>(async () => gate, { name: `worker-${i}` }));
    for (const w of workers) for (let i = 0; i < 5; i++) w.tell(i);
    await new Promise((r) => setImmediate(r));
    assert.match(await registry.metrics(), /^actor_mailbox_depth\{kind="\/user\/\*"\} 8$/m, 'two workers, each busy with one of five');
    release();
    const deadline = performance.now() + 5000;
    while (!/^actor_mailbox_depth\{kind="\/user\/\*"\} 0$/m.test(await registry.metrics())) {
      assert.ok(performance.now() < deadline, 'mailboxes drain once the workers are free');
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    release();
    stop();
    await system.terminate();
  }
});

test('metrics — publishes and deliveries by topic and status through the hooks; redeliveries and dead letters through the API', async () => {
  const registry = new Registry();
  const messaging = createMessagingCounters(registry);
  const mw = metricsMiddleware(registry, messaging);
  const publish = compose([mw], 'publish', async () => {});
  const deliver = compose([mw], 'subscribe', async (d) => {
    if (d.message === 'bad') throw new MicroError('BAD_REQUEST', 'bad message');
  });
  await publish({ topic: 'orders', message: 1, metadata: {} });
  await publish({ topic: 'orders', message: 2, metadata: {} });
  await deliver({ topic: 'orders', message: 'ok', metadata: {} });
  await assert.rejects(deliver({ topic: 'orders', message: 'bad', metadata: {} }), /bad message/);
  messaging.redelivered('orders');
  messaging.deadLettered('orders');
  const text = await registry.metrics();
  assert.match(text, /^messaging_published_total\{topic="orders",status="OK"\} 2$/m);
  assert.match(text, /^messaging_consumed_total\{topic="orders",status="OK"\} 1$/m);
  assert.match(text, /^messaging_consumed_total\{topic="orders",status="BAD_REQUEST"\} 1$/m);
  assert.match(text, /^messaging_redeliveries_total\{topic="orders"\} 1$/m);
  assert.match(text, /^messaging_dead_letters_total\{topic="orders"\} 1$/m);
  for (let i = 0; i < 2 * MAX_TOPICS; i++) messaging.redelivered(`t${i}`);
  const topics = (await registry.metrics()).split('\n').filter((l) => l.startsWith('messaging_redeliveries_total{'));
  assert.ok(topics.length <= MAX_TOPICS + 1, `${topics.length} topic series`);
});

test('metrics — registry size in services and nodes', async () => {
  const registry = new Registry();
  const system = createActorSystem({ nodeId: 'm' });
  const services = createMemoryRegistry();
  const node = (id: string) => ({ id, address: `mem://${id}`, metadata: {} });
  await services.register({ name: 'a', version: '1', metadata: {}, endpoints: [], nodes: [node('n1'), node('n2')] });
  await services.register({ name: 'b', version: '1', metadata: {}, endpoints: [], nodes: [node('n2'), node('n3')] });
  const stop = nodeCollectors(registry, { system, registry: services, connections: () => [] });
  try {
    const text = await registry.metrics();
    assert.match(text, /^registry_services 2$/m);
    assert.match(text, /^registry_nodes 3$/m);
  } finally {
    stop();
    await system.terminate();
  }
});
