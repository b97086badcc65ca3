/**
 * What the rpc suite's `echo-auth` and `echo-tls` rows add to micromesh's echo: auth (Ed25519 keys made once per
 * run, a rule granting the echo service, the token verified on every call) and mutual TLS (certificates made by
 * examples/auth/make-certs.sh). The server child gets them through `--auth` / `--tls-dir` and MICRO_AUTH_* env.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuthKeyPair, createTcpTransport, generateAuthKeys, type NodeOptions, type Rule } from '../../src/index.ts';

/** Which protection a micromesh echo row runs with. */
export type Protection = 'none' | 'auth' | 'tls';

export const ECHO_RULES: Rule[] = [{ id: 'bench-echo', resource: { type: 'service', name: 'echo', endpoint: 'Echo.*' }, scope: 'service', access: 'grant' }];

let keys: Promise<AuthKeyPair> | undefined;
let certs: string | undefined;

/** Key pair shared by the bench process and its children. */
export const benchKeys = (): Promise<AuthKeyPair> => (keys ??= generateAuthKeys());

/** A directory with the CA and the `ledger` (server) and `billing` (client) certificates, made once per run. */
export function benchCerts(): string {
  if (certs !== undefined) return certs;
  const dir = mkdtempSync(join(tmpdir(), 'micromesh-bench-certs-'));
  execFileSync('sh', [new URL('../../examples/auth/make-certs.sh', import.meta.url).pathname, dir]);
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  certs = dir;
  return dir;
}

/** A TCP transport with mutual TLS from `dir`, as `service` (`ledger` or `billing`). */
export function tlsTransport(dir: string, service: string) {
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  return createTcpTransport({ tls: { key: read(`${service}.key`), cert: read(`${service}.crt`), ca: read('ca.crt'), requestCert: true } });
}

/** The server child's arguments and environment for a protection. */
export async function serverSetup(protection: Protection): Promise<{ args: string[]; env: NodeJS.ProcessEnv }> {
  if (protection === 'tls') return { args: ['--tls-dir', benchCerts()], env: process.env };
  if (protection === 'none') return { args: [], env: process.env };
  const k = await benchKeys();
  return { args: ['--auth'], env: { ...process.env, MICRO_AUTH_PRIVATE_KEY: Buffer.from(k.privateKey).toString('base64') } };
}

/** The client node's options for a protection. */
export async function clientOptions(protection: Protection): Promise<Partial<NodeOptions>> {
  if (protection === 'tls') return { transport: tlsTransport(benchCerts(), 'billing') };
  if (protection === 'none') return {};
  return { auth: 'jwt', authOptions: { ...(await benchKeys()) } };
}
