import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createRecordingLogger } from '../../../../src/actors/index.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { createNode, type MeshNode } from '../../../../src/mesh/node.ts';
import { createMemoryRegistry } from '../../../../src/mesh/registry/memory.ts';
import { defineService } from '../../../../src/mesh/service.ts';
import { createTcpTransport } from '../../../../src/mesh/transport/tcp.ts';
import { type TcpTlsOptions, tlsFromEnv } from '../../../../src/mesh/transport/tls.ts';
import { builtinPlugin } from '../../../../src/mesh/plugins/builtin.ts';
import { createPluginTable } from '../../../../src/mesh/plugins/table.ts';
import { certificateFactory, type Pem } from '../../../support/certs.ts';
import { testKeys } from '../auth/support.ts';

let certs: Awaited<ReturnType<typeof certificateFactory>>;
let ca: Pem & { name: string };
let rogueCa: Pem & { name: string };
before(async () => {
  certs = await certificateFactory();
  ca = await certs.ca('mesh-ca');
  rogueCa = await certs.ca('rogue-ca');
});
after(() => certs.close());

const who = defineService({
  name: 'who',
  endpoints: { 'Who.Am': (_req: unknown, ctx) => ({ caller: ctx.caller, certificate: ctx.certificate?.name, account: ctx.account }) },
});

async function tlsNode(id: string, registry: ReturnType<typeof createMemoryRegistry>, tls: TcpTlsOptions, extra: Parameters<typeof createNode>[0] = {}): Promise<MeshNode> {
  const logger = createRecordingLogger();
  return createNode({ id, registry, transport: createTcpTransport({ tls, logger }), logger, ...extra });
}

test('tls — nodes with certificates from one CA call each other over mutual TLS; the handler sees the caller certificate', async () => {
  const registry = createMemoryRegistry();
  const server = await tlsNode('tls-server', registry, { ...(await certs.issue(ca, 'who')), ca: ca.cert, requestCert: true });
  const client = await tlsNode('tls-client', registry, { ...(await certs.issue(ca, 'frontend', ['service'])), ca: ca.cert, requestCert: true });
  try {
    await server.serve(who);
    const reply = (await client.client.call('who', 'Who.Am', {})) as { caller: string; certificate: string };
    assert.equal(reply.certificate, 'frontend');
    assert.equal(reply.caller, 'tls-client', 'dial-back still proves the node id over TLS');
  } finally {
    await client.stop();
    await server.stop();
  }
});

test('tls — a peer whose certificate another CA signed is refused at the handshake, and so is one without a certificate', async () => {
  const registry = createMemoryRegistry();
  const serverLog = createRecordingLogger();
  const serverTransport = createTcpTransport({ tls: { ...(await certs.issue(ca, 'who')), ca: ca.cert, requestCert: true }, logger: serverLog });
  const server = await createNode({ id: 'tls-guarded', registry, transport: serverTransport, logger: serverLog });
  const rogue = await tlsNode('tls-rogue', registry, { ...(await certs.issue(rogueCa, 'frontend')), ca: ca.cert });
  const bare = await tlsNode('tls-bare', registry, { ...(await certs.issue(ca, 'no-client-cert')), ca: ca.cert, key: '', cert: '' });
  const plain = await createNode({ id: 'tls-plain', registry, transport: createTcpTransport(), logger: createRecordingLogger() });
  try {
    await server.serve(who);
    for (const node of [rogue, bare, plain]) {
      const err = await node.client.call('who', 'Who.Am', {}, { timeoutMs: 3000 }).catch((e: unknown) => e);
      assert.ok(err instanceof MicroError && err.code === 503, `${node.id}: ${String(err)}`);
    }
    assert.ok((serverTransport.stats().handshakeFailures ?? 0) >= 2, `handshakes refused: ${serverTransport.stats().handshakeFailures}`);
    assert.equal(serverTransport.stats().framesIn, 0, 'no frame from a refused peer was read');
    // The other way round: a node trusting only the rogue CA refuses the server's certificate.
    const doubter = await tlsNode('tls-doubter', registry, { ...(await certs.issue(rogueCa, 'doubter')), ca: rogueCa.cert });
    const err = await doubter.client.call('who', 'Who.Am', {}, { timeoutMs: 3000 }).catch((e: unknown) => e);
    assert.ok(err instanceof MicroError && err.code === 503 && /certificate/i.test(err.detail), String(err));
    await doubter.stop();
  } finally {
    for (const n of [plain, bare, rogue, server]) await n.stop();
  }
});

test('tls — with auth on, a caller without a token is the account its certificate names (CN, OU as scopes)', async () => {
  const [keys] = await testKeys();
  const registry = createMemoryRegistry();
  const rules = [{ id: 'frontends', resource: { name: 'who' }, scope: 'frontend', access: 'grant' as const }];
  const authOptions = { ...keys, rules };
  const stripToken = { name: 'strip', attempt: (next: (a: never) => Promise<unknown>) => (a: { call: { metadata: Record<string, string> } }) => {
    const { authorization: _, ...rest } = a.call.metadata;
    a.call.metadata = rest;
    return next(a as never);
  } };
  const server = await tlsNode('tls-auth-server', registry, { ...(await certs.issue(ca, 'who')), ca: ca.cert, requestCert: true }, { auth: 'jwt', authOptions });
  const frontend = await tlsNode('tls-auth-frontend', registry, { ...(await certs.issue(ca, 'frontend', ['frontend'])), ca: ca.cert }, { auth: 'jwt', authOptions, middleware: [stripToken as never] });
  const other = await tlsNode('tls-auth-other', registry, { ...(await certs.issue(ca, 'reports', ['reports'])), ca: ca.cert }, { auth: 'jwt', authOptions, middleware: [stripToken as never] });
  try {
    await server.serve(who);
    const reply = (await frontend.client.call('who', 'Who.Am', {})) as { account: { id: string; scopes: string[] } };
    assert.deepEqual([reply.account.id, reply.account.scopes], ['frontend', ['frontend']]);
    await assert.rejects(other.client.call('who', 'Who.Am', {}), (e: unknown) => e instanceof MicroError && e.code === 403 && /service reports may not call who Who\.Am/.test(e.detail));
  } finally {
    for (const n of [other, frontend, server]) await n.stop();
  }
});

test('tls — MICRO_TLS_CERT, _KEY, _CA and _REQUEST_CERT make the tcp plugin use mutual TLS; a bad setting is one clear 400', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'micromesh-tls-env-'));
  const registry = createMemoryRegistry();
  const nodes: MeshNode[] = [];
  try {
    const envFor = async (name: string, issuer: Pem & { name: string }) => {
      const pem = await certs.issue(issuer, name);
      await writeFile(join(dir, `${name}.crt`), pem.cert);
      await writeFile(join(dir, `${name}.key`), pem.key);
      await writeFile(join(dir, 'ca.crt'), ca.cert);
      return { MICRO_TLS_CERT: join(dir, `${name}.crt`), MICRO_TLS_KEY: join(dir, `${name}.key`), MICRO_TLS_CA: join(dir, 'ca.crt'), MICRO_TLS_REQUEST_CERT: 'true' };
    };
    const table = createPluginTable([builtinPlugin()]);
    const transportFor = async (id: string, env: Record<string, string>) => (await table.resolve('transport', 'tcp', { nodeId: id, env })).value;
    const node = async (id: string, env: Record<string, string>) => {
      const n = await createNode({ id, registry, transport: await transportFor(id, env), logger: createRecordingLogger() });
      nodes.push(n);
      return n;
    };
    const server = await node('env-server', await envFor('who', ca));
    await server.serve(who);
    const client = await node('env-client', await envFor('frontend', ca));
    assert.equal(((await client.client.call('who', 'Who.Am', {})) as { certificate: string }).certificate, 'frontend');
    const rogue = await node('env-rogue', await envFor('rogue', rogueCa));
    await assert.rejects(rogue.client.call('who', 'Who.Am', {}, { timeoutMs: 3000 }), (e: unknown) => e instanceof MicroError && e.code === 503);
    assert.equal(tlsFromEnv({}), undefined);
    assert.throws(() => tlsFromEnv({ MICRO_TLS_CERT: 'x.crt' }), /both MICRO_TLS_CERT and MICRO_TLS_KEY/);
    assert.throws(() => tlsFromEnv({ MICRO_TLS_CERT: '/nope.crt', MICRO_TLS_KEY: '/nope.key' }), (e: unknown) => e instanceof MicroError && e.code === 400 && /MICRO_TLS_CERT: cannot read \/nope\.crt/.test(e.detail));
  } finally {
    for (const n of nodes.reverse()) await n.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
