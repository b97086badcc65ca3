import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { createMemoryRegistry } from '../../../../src/mesh/registry/memory.ts';
import { Metrics } from '../../../../src/mesh/ops/metric-names.ts';
import { metricsMiddleware, nodeCollectors, supervisorKind } from '../../../../src/mesh/ops/metrics.ts';
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
  const stop = nodeCollectors(registry, { system, registry: createMemoryRegistry(), connections: () => 0 });
  try {
    const json = await registry.getMetricsAsJSON();
    assert.deepEqual(json.map((m) => m.name).sort(), Object.keys(Metrics).sort());
    for (const m of json) assert.equal(m.help, Metrics[m.name as keyof typeof Metrics].help);
  } finally {
    stop();
    await system.terminate();
  }
});

test('metrics — dead letters by reason and restarts by supervisor kind, from system events', async () => {
  const registry = new Registry();
  const system = createActorSystem({ nodeId: 'm' });
  const stop = nodeCollectors(registry, { system, registry: createMemoryRegistry(), connections: () => 3 });
  try {
    system.events.publish({ type: 'dead-letter', recipient: '/user/x', message: 1, sender: undefined, reason: 'overflow' });
    system.events.publish({ type: 'dead-letter', recipient: '/user/y', message: 2, sender: undefined, reason: 'overflow' });
    system.events.publish({ type: 'actor-restarted', actor: '/user/services/greeter/instance-3', incarnation: 2, restarts: 1 });
    system.events.publish({ type: 'actor-restarted', actor: '/user/services/greeter/instance-7', incarnation: 2, restarts: 1 });
    const text = await registry.metrics();
    assert.match(text, /^actor_dead_letters_total\{reason="overflow"\} 2$/m);
    assert.match(text, /^actor_restarts_total\{supervisor="\/user\/services\/greeter"\} 2$/m);
    assert.match(text, /^mesh_connections 3$/m);
    stop();
    system.events.publish({ type: 'dead-letter', recipient: '/user/x', message: 1, sender: undefined, reason: 'overflow' });
    assert.match(await registry.metrics(), /^actor_dead_letters_total\{reason="overflow"\} 2$/m, 'no counting once stopped');
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
