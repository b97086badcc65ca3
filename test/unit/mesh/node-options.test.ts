import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../../src/actors/index.ts';
import { MicroError } from '../../../src/mesh/errors.ts';
import { resolveNodeOptions } from '../../../src/mesh/node-options.ts';

test('node options — safe by default: loopback address, mDNS registry, TCP transport', async () => {
  const o = resolveNodeOptions({ logger: silentLogger }, {});
  assert.equal(o.address, '127.0.0.1:0');
  assert.equal(o.advertise, undefined);
  assert.equal(o.transport.name, 'tcp');
  const registry = await o.registry();
  assert.equal(registry.name, 'mdns');
  await registry.close();
  await o.transport.close();
});

test('node options — MICRO_* environment variables join a LAN in one step; explicit options win', async () => {
  const env = { MICRO_ADDRESS: '0.0.0.0:9000', MICRO_ADVERTISE: '127.0.0.1:9000', MICRO_NODE_ID: 'env-node', MICRO_REGISTRY: 'memory' };
  const o = resolveNodeOptions({ logger: silentLogger }, env);
  assert.equal(o.address, '0.0.0.0:9000');
  assert.equal(o.advertise, '127.0.0.1:9000');
  assert.equal(o.id, 'env-node');
  assert.equal((await o.registry()).name, 'memory');
  assert.equal(resolveNodeOptions({ id: 'explicit', logger: silentLogger }, env).id, 'explicit');
  await o.transport.close();
});

test('node options — listening on 0.0.0.0 without an advertised address is refused with a clear error', () => {
  assert.throws(() => resolveNodeOptions({ address: '0.0.0.0:0', logger: silentLogger }, {}), (e: unknown) => e instanceof MicroError && /advertise/.test(e.detail));
});

test('node options — an unknown registry name is a typed error', async () => {
  const o = resolveNodeOptions({ registry: 'etcd' as 'mdns', logger: silentLogger }, {});
  await assert.rejects(o.registry(), (e: unknown) => e instanceof MicroError && e.code === 400);
  await o.transport.close();
});
