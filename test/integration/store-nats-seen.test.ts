import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect, type NatsConnection } from 'nats';
import { MicroError } from '../../src/mesh/errors.ts';
import { builtinPlugin } from '../../src/mesh/plugins/builtin.ts';
import { createPluginTable } from '../../src/mesh/plugins/table.ts';
import { readText } from '../../src/mesh/store/store.ts';
import { withEnginePlugins } from '../../src/plugins/node.ts';
import { engineAvailable, runId } from '../support/engines.ts';

let nc: NatsConnection | undefined;
const prefix = runId().replaceAll('_', '-');
// Two plugin tables: two processes' worth of stores, each with its own view of the entries it last saw.
const tables = [0, 1].map(() => createPluginTable([builtinPlugin(), ...withEnginePlugins([])]));

before(async () => {
  if (await engineAvailable('NATS', 4222)) nc = await connect({ servers: '127.0.0.1:4222' });
});
after(async () => {
  await Promise.all(tables.map((t) => t.close()));
  if (nc === undefined) return;
  const jsm = await nc.jetstreamManager();
  for await (const info of jsm.streams.list()) if (info.config.name.startsWith(`KV_${prefix}`)) await jsm.streams.delete(info.config.name);
  await nc.close();
});

const isConflict = (err: unknown): boolean => err instanceof MicroError && err.reason === 'CONFLICT';

test('nats store — a write over an entry another writer changed since this store saw it keeps revisions exact', async (t) => {
  if (nc === undefined) return t.skip('NATS is not reachable');
  const [a, b] = await Promise.all(tables.map(async (table) => (await table.resolve('store', `nats://127.0.0.1:4222?prefix=${prefix}`, { nodeId: 'seen' })).value));
  assert.equal((await a.write({ key: 'k', value: 'a1' })).revision, 1);
  assert.equal((await b.write({ key: 'k', value: 'b2' })).revision, 2);
  // a last saw revision 1: its write loses the compare-and-set on the entry, reads again and lands at 3.
  assert.equal((await a.write({ key: 'k', value: 'a3' })).revision, 3);
  assert.equal((await b.write({ key: 'k', value: 'b4' }, { ifRevision: 3 })).revision, 4);
  // a saw 3 (its own write): a compare-and-set on 3 must not trust that, and reports the conflict with the truth.
  await assert.rejects(a.write({ key: 'k', value: 'no' }, { ifRevision: 3 }), isConflict);
  assert.equal((await a.write({ key: 'k', value: 'a5' }, { ifRevision: 4 })).revision, 5);
  assert.equal(await b.delete('k'), true);
  // a saw revision 5; the key was deleted since: a write starts again at 1, and "only if absent" holds.
  assert.equal((await a.write({ key: 'k', value: 'a1 again' }, { ifRevision: 0 })).revision, 1);
  await assert.rejects(b.write({ key: 'k', value: 'no' }, { ifRevision: 0 }), isConflict);
  const seen = await b.read('k');
  assert.equal(readText(seen), 'a1 again');
  assert.equal(seen.revision, 1);
  // Concurrent unconditional writers from both: every write gets its own revision.
  const writes = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).write({ key: 'k', value: `w${i}` })));
  assert.deepEqual(writes.map((w) => w.revision).sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i + 2));
  assert.equal((await a.read('k')).revision, 21);
});
