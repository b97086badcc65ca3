import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const example = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'examples/auth/main.ts', ...args], { timeout: 120_000 });

test('examples — auth: billing (ledger.write) is granted, reports is denied with a 403 naming the endpoint, health is public', async () => {
  const { stdout } = await example();
  assert.match(stdout, /^ledger serving on .* \(auth on\)$/m);
  assert.match(stdout, /^billing → ledger Health\.Check: "ok"$/m);
  assert.match(stdout, /^billing → ledger Ledger\.Credit: \{"balance":10\}$/m);
  assert.match(stdout, /^reports → ledger Health\.Check: "ok"$/m);
  assert.match(stdout, /^reports → ledger Ledger\.Credit: 403 FORBIDDEN service reports may not call ledger Ledger\.Credit: no rule grants it$/m);
});

test('examples — auth over mutual TLS: the same answers, and an intruder with another CA’s certificate reaches nothing', async () => {
  const { stdout } = await example('--tls');
  assert.match(stdout, /^billing → ledger Ledger\.Credit: \{"balance":10\}$/m);
  assert.match(stdout, /^reports → ledger Ledger\.Credit: 403 FORBIDDEN /m);
  const intruder = stdout.split('\n').filter((l) => l.startsWith('intruder → ledger'));
  assert.equal(intruder.length, 2, stdout);
  for (const line of intruder) assert.match(line, /: (404 SERVICE_NOT_FOUND|503 [A-Z_]+) /, 'the handshake is refused, so the ledger is never reached');
});
