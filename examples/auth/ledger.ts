import { createNode, defineService, type Rule } from 'micromesh';

/** Who may call the ledger: writers may credit; the health check is public; everything else is denied. */
const rules: Rule[] = [
  { id: 'ledger-writers', resource: { type: 'service', name: 'ledger', endpoint: 'Ledger.*' }, scope: 'ledger.write', access: 'grant', priority: 10 },
];

let balance = 0;
const ledger = defineService({
  name: 'ledger',
  endpoints: {
    'Ledger.Credit': (req: { amount: number }) => ({ balance: (balance += req.amount) }),
    'Health.Check': { public: true, handler: () => 'ok' },
  },
});

// Keys come from MICRO_AUTH_PRIVATE_KEY / MICRO_AUTH_PUBLIC_KEY (base64 PEM); MICRO_AUTH=jwt turns auth on.
// With --tls, main.ts sets MICRO_TLS_CERT, _KEY, _CA and _REQUEST_CERT, which the default tcp transport reads.
const node = await createNode({ id: 'ledger', authOptions: { account: { id: 'ledger' }, rules } }).catch((err: unknown) => {
  console.error(`ledger: ${String(err)}`);
  process.exit(1);
});
await node.serve(ledger);
console.log(`ledger serving on ${node.address} (auth ${node.auth.enabled ? 'on' : 'off'})`);

process.on('SIGTERM', () => void node.stop().then(() => process.exit(0)));
