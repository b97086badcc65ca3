import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { silentLogger } from '../../../../src/actors/index.ts';
import { systemClock } from '../../../../src/actors/clock.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { createNode } from '../../../../src/mesh/node.ts';
import { openNodePlugins, resolveNodeOptions } from '../../../../src/mesh/node-options.ts';
import { createMemoryStore } from '../../../../src/mesh/store/memory.ts';
import { readText } from '../../../../src/mesh/store/store.ts';

const noProbe = async () => false;
const inMemory = { registry: 'memory', transport: 'memory', logger: silentLogger } as const;

test('node store — node.store is the chosen back end, scoped micro/micro by default, and the node closes what it made', async () => {
  const node = await createNode({ ...inMemory, address: 'mem://store-1', store: 'memory' });
  assert.equal(node.store.name, 'memory');
  assert.deepEqual([node.store.database, node.store.table], ['micro', 'micro']);
  await node.store.write({ key: 'k', value: 'v' });
  assert.equal(readText(await node.store.read('k')), 'v');
  const tree = await node.inspect();
  const names = tree.children.map((c) => c.id);
  assert.ok(names.indexOf('store') === names.indexOf('registry') + 1, `store follows registry in ${names.join(', ')}`);
  const store = node.store;
  await node.stop();
  await assert.rejects(store.read('k'), (err: unknown) => err instanceof MicroError && err.reason === 'UNAVAILABLE', 'the memory store was closed');
});

test('node store — an instance passed in is used and left open on stop', async () => {
  const mine = createMemoryStore();
  const node = await createNode({ ...inMemory, address: 'mem://store-2', store: mine, storeOptions: { scope: { table: 'ignored' } } });
  assert.equal(node.store, mine);
  await node.store.write({ key: 'k', value: 'v' });
  await node.stop();
  assert.equal(readText(await mine.read('k')), 'v');
  await mine.close();
});

test('node store — MICRO_STORE=file:///path chooses the file store at that directory; storeOptions set the scope', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'micromesh-node-store-'));
  try {
    const env = { MICRO_STORE: pathToFileURL(dir).href };
    const o = resolveNodeOptions({ ...inMemory, storeOptions: { scope: { database: 'app', table: 'orders' } } }, env);
    const p = await openNodePlugins(o, systemClock, noProbe);
    assert.equal(p.store.value.name, 'file');
    assert.equal(p.store.owned, true);
    await p.store.value.write({ key: 'o1', value: 'x' });
    assert.ok((await readdir(join(dir, 'app'))).includes('orders.log'));
    await p.store.value.close();
    await p.registry.value.close();
    await p.transport.value.close();
    await p.table.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('node store — the default is the file store, which touches no disk until used', async () => {
  const o = resolveNodeOptions(inMemory, {});
  const p = await openNodePlugins(o, systemClock, noProbe);
  assert.equal(p.store.value.name, 'file');
  await p.store.value.close();
  await p.registry.value.close();
  await p.transport.value.close();
  await p.table.close();
});

test('node store — an unknown store or a bad file URL fails createNode with BAD_REQUEST naming it', async () => {
  await assert.rejects(createNode({ ...inMemory, address: 'mem://store-3', store: 'etcd' }), (err: unknown) => {
    assert.ok(err instanceof MicroError && err.reason === 'BAD_REQUEST');
    assert.match(err.detail, /unknown store "etcd" \(known: file, memory/);
    return true;
  });
  await assert.rejects(createNode({ ...inMemory, address: 'mem://store-4', store: 'file://host/x' }), /file:\/\/\/absolute/);
});
