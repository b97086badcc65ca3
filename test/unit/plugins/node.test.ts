import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MicroError } from '../../../src/mesh/errors.ts';
import { builtinPlugin } from '../../../src/mesh/plugins/builtin.ts';
import { definePlugin } from '../../../src/mesh/plugins/plugin.ts';
import { createPluginTable } from '../../../src/mesh/plugins/table.ts';
import { createMemoryStore } from '../../../src/mesh/store/memory.ts';
import { withEnginePlugins } from '../../../src/plugins/node.ts';

test('engine plugins — a node gets nats, postgres and redis stores by name and scheme, after the user plugins', () => {
  const table = createPluginTable([builtinPlugin(), ...withEnginePlugins([])]);
  const stores = table.list('store').map((l) => `${l.plugin}:${l.name}:${l.schemes.join(',')}`);
  assert.deepEqual(stores, ['micromesh:file:file', 'micromesh:memory:', 'nats:nats:nats', 'postgres:postgres:postgres,postgresql', 'redis:redis:redis,rediss']);
});

test('engine plugins — a user plugin with the same name or a scheme of an engine replaces that engine', () => {
  const mine = definePlugin({ name: 'my-redis', factories: [{ concern: 'store', name: 'kv', schemes: ['REDIS://'], create: () => createMemoryStore() }] });
  const plugins = withEnginePlugins([mine]);
  assert.deepEqual(plugins.map((p) => p.name), ['my-redis', 'nats', 'postgres', 'etcd']);
  const named = definePlugin({ name: 'postgres', factories: [] });
  assert.deepEqual(withEnginePlugins([named]).map((p) => p.name), ['postgres', 'nats', 'redis', 'etcd']);
  assert.equal(withEnginePlugins([named])[0], named);
  // The table takes the result without a clash.
  const table = createPluginTable([builtinPlugin(), ...plugins]);
  assert.equal(table.list('store').find((l) => l.schemes.includes('redis'))?.plugin, 'my-redis');
});

test('engine plugins — a store whose server is down still resolves (a node starts); its calls fail with UNAVAILABLE', async () => {
  const table = createPluginTable([builtinPlugin(), ...withEnginePlugins([])]);
  const { value: store, owned } = await table.resolve('store', 'redis://127.0.0.1:1?prefix=x', { nodeId: 'lazy', options: { timeoutMs: 3000 } });
  assert.equal(owned, true);
  assert.equal(store.name, 'redis');
  await assert.rejects(store.read('k'), (err: unknown) => err instanceof MicroError && err.reason === 'UNAVAILABLE');
  await store.close();
  await table.close();
});

test('engine plugins — a bad setting in a store URL is BAD_REQUEST naming it', async () => {
  const table = createPluginTable([builtinPlugin(), ...withEnginePlugins([])]);
  await assert.rejects(table.resolve('store', 'postgres://127.0.0.1/test?tabel=x', { nodeId: 'n' }), /bad setting tabel="x" \(known: table, poolSize\)/);
  await assert.rejects(table.resolve('store', 'postgres://127.0.0.1/test?table=Bad-Name', { nodeId: 'n' }), /use lowercase letters, digits and _/);
  await assert.rejects(table.resolve('store', 'redis://127.0.0.1?db=1', { nodeId: 'n' }), /bad setting db="1" \(known: prefix\)/);
  await table.close();
});
