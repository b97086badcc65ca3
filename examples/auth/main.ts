import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { generateAuthKeys } from 'micromesh';

// `main.ts` runs the ledger and two callers with auth on; `main.ts --tls` does it over mutual TLS, plus an intruder
// whose certificate another CA signed.
const tlsOn = process.argv.includes('--tls');
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const keys = await generateAuthKeys();
const base64 = (pem: string) => Buffer.from(pem).toString('base64');
const env = {
  ...process.env,
  MICRO_AUTH: 'jwt',
  MICRO_AUTH_PRIVATE_KEY: base64(keys.privateKey),
  MICRO_AUTH_PUBLIC_KEY: base64(keys.publicKey),
  // Our own mDNS port, so this run never meets another mesh on the host.
  MICRO_REGISTRY: `mdns://127.0.0.1:${20_000 + Math.floor(Math.random() * 20_000)}`,
};
const certs = tlsOn ? mkdtempSync(join(tmpdir(), 'micromesh-auth-')) : undefined;
if (certs !== undefined) execFileSync('sh', [here('./make-certs.sh'), certs]);
// Mutual TLS for the default tcp transport, from the certificate files make-certs.sh wrote for `service`.
const withTls = (dir: string | undefined, service: string) =>
  dir === undefined
    ? env
    : { ...env, MICRO_TLS_CERT: join(dir, `${service}.crt`), MICRO_TLS_KEY: join(dir, `${service}.key`), MICRO_TLS_CA: join(dir, 'ca.crt'), MICRO_TLS_REQUEST_CERT: 'true' };

const ledger = spawn(process.execPath, ['--import', 'tsx', here('./ledger.ts')], { env: withTls(certs, 'ledger'), stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise<void>((resolve, reject) => {
  ledger.once('exit', (code) => reject(new Error(`ledger exited with ${code}`)));
  createInterface({ input: ledger.stdout }).on('line', (line) => {
    console.log(line);
    if (line.startsWith('ledger serving')) resolve();
  });
});

const callers: Array<[string, string, string | undefined]> = [
  ['billing', 'ledger.write', certs],
  ['reports', 'ledger.read', certs],
];
if (certs !== undefined) callers.push(['intruder', 'ledger.write', join(certs, 'rogue')]);
try {
  for (const [name, scope, dir] of callers) {
    process.stdout.write(execFileSync(process.execPath, ['--import', 'tsx', here('./caller.ts'), name, scope], { env: withTls(dir, name), encoding: 'utf8' }));
  }
} finally {
  ledger.kill('SIGTERM');
  if (certs !== undefined) rmSync(certs, { recursive: true, force: true });
}
