import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { createTcpTransport } from '../../src/mesh/transport/tcp.ts';
import { closedTcpAddress, describeTransport } from './transport.ts';

// Certificates from the same script the README and examples/auth use: every connection is mutual TLS.
const dir = mkdtempSync(join(tmpdir(), 'micromesh-tls-conformance-'));
execFileSync('sh', ['examples/auth/make-certs.sh', dir]);
after(() => rmSync(dir, { recursive: true, force: true }));
const read = (file: string) => readFileSync(join(dir, file), 'utf8');
const tls = { key: read('ledger.key'), cert: read('ledger.crt'), ca: read('ca.crt'), requestCert: true };

describeTransport('tcp with mutual TLS', () => ({
  create: (options) => createTcpTransport({ ...options, tls }),
  listenAddress: '127.0.0.1:0',
  closedAddress: closedTcpAddress,
}));
