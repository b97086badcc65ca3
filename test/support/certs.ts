import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Pem {
  key: string;
  cert: string;
}

/**
 * Certificates made with openssl for a test, as the README tells users to make them: a CA per `ca()` and a
 * certificate per service (CN = the service, OU = its scopes, SAN 127.0.0.1 and localhost), signed by a CA.
 */
export async function certificateFactory() {
  const dir = await mkdtemp(join(tmpdir(), 'micromesh-certs-'));
  let n = 0;
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  const read = async (name: string): Promise<Pem> => ({ key: await readFile(join(dir, `${name}.key`), 'utf8'), cert: await readFile(join(dir, `${name}.crt`), 'utf8') });
  return {
    async ca(name: string): Promise<Pem & { name: string }> {
      const file = `ca-${++n}`;
      await openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${file}.key`, '-out', `${file}.crt`, '-days', '1', '-subj', `/CN=${name}`);
      return { ...(await read(file)), name: file };
    },
    async issue(ca: { name: string }, cn: string, units: string[] = []): Promise<Pem> {
      const file = `cert-${++n}`;
      const subject = `/CN=${cn}${units.map((u) => `/OU=${u}`).join('')}`;
      await openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${file}.key`, '-out', `${file}.csr`, '-subj', subject);
      await run('sh', ['-c', `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth,clientAuth\\n' > ${file}.ext`], { cwd: dir });
      await openssl('x509', '-req', '-in', `${file}.csr`, '-CA', `${ca.name}.crt`, '-CAkey', `${ca.name}.key`, '-CAcreateserial', '-out', `${file}.crt`, '-days', '1', '-extfile', `${file}.ext`);
      return read(file);
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}
