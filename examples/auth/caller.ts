import { createNode, MicroError } from 'micromesh';

// A service calling the ledger with its own identity: `caller.ts <name> <scope>`.
const [name = 'billing', scope = 'ledger.write'] = process.argv.slice(2);
const node = await createNode({ id: name, authOptions: { account: { id: name, scopes: [scope] } } }).catch((err: unknown) => {
  console.error(`${name}: ${String(err)}`);
  process.exit(1);
});
for (const endpoint of ['Health.Check', 'Ledger.Credit']) {
  try {
    const reply = await node.client.call('ledger', endpoint, { amount: 10 }, { timeoutMs: 3000 });
    console.log(`${name} → ledger ${endpoint}: ${JSON.stringify(reply)}`);
  } catch (err) {
    const e = MicroError.from(err);
    console.log(`${name} → ledger ${endpoint}: ${e.code} ${e.reason} ${e.detail}`);
  }
}
await node.stop();
