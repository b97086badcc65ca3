import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { SignJWT, importPKCS8 } from 'jose';
import { createSimulatedClock } from '../../../../src/actors/clock.ts';
import type { ActorContext, Ask } from '../../../../src/actors/index.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';
import type { NodeOptions } from '../../../../src/mesh/node-options.ts';
import { defineService } from '../../../../src/mesh/service.ts';
import { memoryMesh } from '../../../support/mesh.ts';
import { waitUntil } from '../../../support/wait.ts';
import { greeter, rules, stripToken, testKeys } from './support.ts';

let mesh: ReturnType<typeof memoryMesh>;
afterEach(() => mesh?.close());

const isStatus = (code: number, text?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof MicroError, `not a MicroError: ${String(err)}`);
  assert.equal(err.code, code, err.detail);
  if (text !== undefined) assert.match(err.detail, text);
  return true;
};

async function authMesh(extra: { client?: NodeOptions } = {}) {
  const [keys] = await testKeys();
  mesh = memoryMesh();
  const authOptions = { ...keys, rules };
  const server = await mesh.node('server', { auth: 'jwt', authOptions });
  await server.serve(greeter);
  const client = await mesh.node('client', { auth: 'jwt', authOptions, ...extra.client });
  return { server, client, keys };
}

test('auth — off by default: node.auth is disabled and calls pass without tokens', async () => {
  mesh = memoryMesh();
  const a = await mesh.node('a');
  await a.serve(greeter);
  assert.equal(a.auth.enabled, false);
  assert.deepEqual(await (await mesh.node('b')).client.call('greeter', 'Say.Hello', { name: 'Ada' }), { msg: 'Hello Ada' });
  await assert.rejects(a.auth.issue({ id: 'x' }), isStatus(503, /auth is off/));
});

test('auth — a caller with the node token is granted; the handler sees its account', async () => {
  const { server, client } = await authMesh();
  const seen = defineService({ name: 'who', endpoints: { 'Who.Am': (_req: unknown, ctx) => ctx.account } });
  await server.serve(seen);
  assert.deepEqual(await client.client.call('greeter', 'Say.Hello', { name: 'Ada' }), { msg: 'Hello Ada' });
  assert.deepEqual(await client.client.call('who', 'Who.Am', {}), { id: 'client', type: 'service', scopes: ['service'], metadata: {} });
  assert.equal(server.auth.account?.id, 'server');
});

test('auth — a call without a token is 401; a public endpoint answers anyway', async () => {
  const { client } = await authMesh({ client: { middleware: [stripToken] } });
  await assert.rejects(client.client.call('greeter', 'Say.Hello', { name: 'Ada' }), isStatus(401, /token is required for greeter Say\.Hello/));
  assert.equal(await client.client.call('greeter', 'Health.Check', {}), 'ok');
});

test('auth — tampered, expired, foreign, alg none, malformed and absurd tokens are 401, and the node keeps serving', async () => {
  const { server, client, keys } = await authMesh();
  const [, foreignKeys] = await testKeys();
  const good = await server.auth.issue({ id: 'ada', type: 'user', scopes: ['service'] });
  const [h, p, s] = good.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
  const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'root', scopes: ['ops'] })).toString('base64url')}.${s}`;
  const expired = await server.auth.issue({ id: 'ada', scopes: ['service'] }, { ttlMs: -5000 });
  const sign = async (pem: string, alg = 'EdDSA') =>
    new SignJWT({ type: 'user', scopes: ['service'], metadata: {} }).setProtectedHeader({ alg }).setSubject('mallory').setIssuer('micromesh').setExpirationTime('1h').sign(await importPKCS8(pem, alg));
  const foreign = await sign(foreignKeys.privateKey);
  const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`;
  const cases: Array<[string, string, RegExp]> = [
    ['tampered', `Bearer ${tampered}`, /signature/],
    ['expired', `Bearer ${expired}`, /expired/],
    ['wrong key', `Bearer ${foreign}`, /signature/],
    ['alg none', `Bearer ${none}`, /not a compact JWT|alg/],
    ['alg none, signed part', `Bearer ${none}x`, /alg "none"/],
    ['malformed header', `Token ${good}`, /malformed authorization header/],
    ['empty bearer', 'Bearer ', /malformed/],
    ['garbage', 'Bearer a.b', /not a compact JWT/],
    ['absurd size', `Bearer ${'a'.repeat(60_000)}`, /over the 8192-byte limit/],
  ];
  for (const [what, header, detail] of cases) {
    await assert.rejects(client.client.call('greeter', 'Say.Hello', { name: what }, { metadata: { authorization: header } }), isStatus(401, detail), what);
  }
  assert.deepEqual(await client.client.call('greeter', 'Say.Hello', { name: 'Ada' }, { metadata: { authorization: `Bearer ${good}` } }), { msg: 'Hello Ada' });
  assert.ok(keys.publicKey.includes('PUBLIC KEY'));
});

test('auth — a denied rule is 403 naming the service and endpoint; priorities and wildcards decide', async () => {
  const { server, client } = await authMesh();
  await assert.rejects(client.client.call('greeter', 'Admin.Drop', {}), isStatus(403, /service client may not call greeter Admin\.Drop: denied by rule no-admin/));
  await assert.rejects(client.client.call('greeter', 'Admin.Reset', {}), isStatus(403, /greeter Admin\.Reset/));
  const ops = await server.auth.issue({ id: 'oncall', scopes: ['ops'] });
  const asOps = { metadata: { authorization: `Bearer ${ops}` } };
  assert.equal(await client.client.call('greeter', 'Admin.Reset', {}, asOps), 'reset', 'ops-reset (200) outranks no-admin (100)');
  await assert.rejects(client.client.call('greeter', 'Admin.Drop', {}, asOps), isStatus(403, /denied by rule no-admin/));
  await assert.rejects(client.client.call('greeter', 'Say.Hello', { name: 'x' }, asOps), isStatus(403, /no rule grants it/));
  server.auth.setRules([{ id: 'all', resource: { name: '*' }, scope: '*', access: 'grant' }]);
  assert.equal(await client.client.call('greeter', 'Admin.Drop', {}), 'dropped', 'new rules apply at once');
  assert.throws(() => server.auth.setRules([{ id: 'bad', resource: { name: '*' }, scope: '*', access: 'maybe' as 'grant' }]), isStatus(400, /auth rule bad: access/));
  assert.equal(server.auth.rules()[0]?.id, 'all', 'a bad list changes nothing');
});

test('auth — streams are checked like calls', async () => {
  const { client } = await authMesh();
  const s = await client.client.stream<string, string>('greeter', 'Say.Stream');
  await s.send('a');
  s.closeSend();
  assert.deepEqual(await s.collect(), ['a!']);
  const [keys] = await testKeys();
  const bare = await mesh.node('bare', { auth: 'jwt', authOptions: { ...keys, rules }, middleware: [stripToken] });
  const denied = await bare.client.stream<string, string>('greeter', 'Say.Stream');
  await assert.rejects(denied.collect(), isStatus(401, /greeter Say\.Stream/));
});

type CalcMsg = { type: 'add'; a: number; b: number } & Ask<number>;

test('auth — actor messages carry the token and are checked against actor rules', async () => {
  const { server, client } = await authMesh();
  const spawnCalc = (name: string) =>
    server.expose(server.system.spawn((m: CalcMsg, ctx: ActorContext<CalcMsg>) => ctx.reply(m.a + m.b), { name }));
  spawnCalc('calc');
  spawnCalc('vault');
  assert.equal(await client.ref<CalcMsg>('mesh://server/user/calc').ask({ type: 'add', a: 2, b: 3 }), 5);
  await assert.rejects(client.ref<CalcMsg>('mesh://server/user/vault').ask({ type: 'add', a: 1, b: 1 }, { timeoutMs: 3000 }), isStatus(403, /actor \/user\/vault add/));
});

test('auth — a long-running node refreshes its token before expiry and keeps calling; the expired one is refused', async () => {
  const [keys] = await testKeys();
  const clock = createSimulatedClock();
  mesh = memoryMesh();
  const authOptions = { ...keys, rules, tokenTtlMs: 60_000, refreshAheadMs: 10_000 };
  const server = await mesh.node('server', { auth: 'jwt', authOptions, system: { clock } });
  await server.serve(greeter);
  const client = await mesh.node('client', { auth: 'jwt', authOptions, system: { clock } });
  const first = client.auth.token() as string;
  assert.deepEqual(await client.client.call('greeter', 'Say.Hello', { name: 'a' }), { msg: 'Hello a' });
  clock.advance(55_000);
  await waitUntil(() => client.auth.token() !== first, 2000, 'the refreshed token');
  clock.advance(30_000);
  assert.deepEqual(await client.client.call('greeter', 'Say.Hello', { name: 'b' }), { msg: 'Hello b' }, 'past the first token’s expiry');
  await assert.rejects(client.client.call('greeter', 'Say.Hello', { name: 'c' }, { metadata: { authorization: `Bearer ${first}` } }), isStatus(401, /expired/));
});
