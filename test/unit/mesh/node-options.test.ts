import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../../src/actors/index.ts';
import { MicroError } from '../../../src/mesh/errors.ts';
import { systemClock } from '../../../src/actors/clock.ts';
import { createNode } from '../../../src/mesh/node.ts';
import { openNodePlugins, resolveNodeOptions } from '../../../src/mesh/node-options.ts';
import { definePlugin } from '../../../src/mesh/plugins/plugin.ts';
import { createMemoryRegistry } from '../../../src/mesh/registry/memory.ts';

const noProbe = async () => false;

test('node options — safe by default: loopback address, mDNS registry, TCP transport', async () => {
  const o = resolveNodeOptions({ logger: silentLogger }, {});
  assert.equal(o.address, '127.0.0.1:0');
  assert.equal(o.advertise, undefined);
  const p = await openNodePlugins(o, systemClock, noProbe);
  assert.equal(p.transport.value.name, 'tcp');
  assert.equal(p.registry.value.name, 'mdns');
  assert.equal(p.registry.owned, true);
  await p.registry.value.close();
  await p.transport.value.close();
  await p.table.close();
});

test('node options — MICRO_* environment variables join a LAN in one step; explicit options win', async () => {
  const env = { MICRO_ADDRESS: '0.0.0.0:9000', MICRO_ADVERTISE: '127.0.0.1:9000', MICRO_NODE_ID: 'env-node', MICRO_REGISTRY: 'memory', MICRO_TRANSPORT: 'memory' };
  const o = resolveNodeOptions({ logger: silentLogger }, env);
  assert.equal(o.address, '0.0.0.0:9000');
  assert.equal(o.advertise, '127.0.0.1:9000');
  assert.equal(o.id, 'env-node');
  const p = await openNodePlugins(o, systemClock, noProbe);
  assert.equal(p.registry.value.name, 'memory');
  assert.equal(p.transport.value.name, 'memory');
  assert.equal(resolveNodeOptions({ id: 'explicit', logger: silentLogger }, env).id, 'explicit');
  await p.table.close();
});

test('node options — listening on 0.0.0.0 without an advertised address is refused with a clear error', () => {
  assert.throws(() => resolveNodeOptions({ address: '0.0.0.0:0', logger: silentLogger }, {}), (e: unknown) => e instanceof MicroError && /advertise/.test(e.detail));
});

test('node options — an unknown registry name or URL scheme is one clear 400 listing what is known', async () => {
  for (const registry of ['etcd', 'etcd://127.0.0.1:2379']) {
    const o = resolveNodeOptions({ registry, logger: silentLogger }, {});
    await assert.rejects(openNodePlugins(o, systemClock, noProbe), (e: unknown) => e instanceof MicroError && e.code === 400 && /known/.test(e.detail) && /mdns/.test(e.detail));
  }
  const fromEnv = resolveNodeOptions({ logger: silentLogger }, { MICRO_REGISTRY: 'nope' });
  await assert.rejects(openNodePlugins(fromEnv, systemClock, noProbe), (e: unknown) => e instanceof MicroError && /MICRO_REGISTRY/.test(e.detail));
});

test('node options — a plugin added to one node is chosen by its URL scheme there, and unknown to another node', async () => {
  const made: string[] = [];
  const plugin = definePlugin({
    name: 'fake',
    factories: [{ concern: 'registry', name: 'fake', schemes: ['fake'], create: (target) => (made.push(target.raw), createMemoryRegistry()) }],
  });
  const node = await createNode({ registry: 'fake://somewhere:1', plugins: [plugin], transport: 'memory', address: 'mem://plugged', logger: silentLogger });
  assert.deepEqual(made, ['fake://somewhere:1']);
  assert.equal(node.registry.name, 'memory');
  await node.stop();
  await assert.rejects(createNode({ registry: 'fake://somewhere:1', transport: 'memory', address: 'mem://other', logger: silentLogger }), (e: unknown) => e instanceof MicroError && e.code === 400);
});
