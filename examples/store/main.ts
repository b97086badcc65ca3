import { createNode, jsonBytes, MicroError, readJson, readText } from 'micromesh';

// The store on the embedded default: a crash-safe append log under .micromesh/store (MICRO_STORE picks another back
// end: memory, file:///dir, postgres://…, redis://…, nats://…). Records, prefixes, compare-and-set, TTL, scopes.
const node = await createNode({ registry: 'memory', transport: 'memory', address: 'mem://store-example' }).catch((err: unknown) => {
  console.error(`store example: ${String(err)}`);
  process.exit(1);
});
const carts = node.store.scope({ table: 'carts' });
await carts.write({ key: 'cart/ada', value: jsonBytes({ items: ['tea'] }), metadata: { owner: 'ada' } });
await carts.write({ key: 'cart/grace', value: jsonBytes({ items: ['cobol', 'nanoseconds'] }) });
await carts.write({ key: 'session/ada', value: 'token-1', ttlMs: 200 });
console.log(`${node.store.name} store, keys: ${(await carts.list()).join(', ')}`);
for (const r of await carts.read({ prefix: 'cart/' })) console.log(`${r.key} rev ${r.revision}: ${JSON.stringify(readJson(r))}`);

// Compare-and-set: two writers read revision 1; the first wins, the second gets CONFLICT and nothing is written.
const seen = await carts.read('cart/ada');
await carts.write({ key: 'cart/ada', value: jsonBytes({ items: ['tea', 'scones'] }) }, { ifRevision: seen.revision });
const lost = await carts.write({ key: 'cart/ada', value: jsonBytes({ items: [] }) }, { ifRevision: seen.revision }).catch((err: MicroError) => err);
console.log(`second writer over revision ${seen.revision}: ${lost instanceof MicroError ? `${lost.reason} (${lost.code})` : 'written?!'}`);

// TTL: the session disappears after 200 ms.
await new Promise((r) => setTimeout(r, 300));
const gone = await carts.read('session/ada').catch((err: MicroError) => err);
console.log(`session after its ttl: ${gone instanceof MicroError ? gone.reason : readText(gone)}`);
for (const key of await carts.list()) await carts.delete(key);
await node.stop();
