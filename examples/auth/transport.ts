import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTcpTransport, type Transport } from 'micromesh';

/**
 * TCP, or mutual TLS when MICRO_TLS_DIR names a directory holding `ca.crt` and `<service>.crt` / `<service>.key`
 * (see the README for the openssl commands that make them).
 */
export function transport(service: string): Transport | undefined {
  const dir = process.env.MICRO_TLS_DIR;
  if (dir === undefined || dir === '') return undefined;
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  return createTcpTransport({ tls: { key: read(`${service}.key`), cert: read(`${service}.crt`), ca: read('ca.crt'), requestCert: true } });
}
