import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, test } from 'node:test';
import { createHelloIdentity } from '../../../../src/mesh/auth/hello.ts';
import { readPrivateKey, readPublicKey } from '../../../../src/mesh/auth/keys.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { createMemoryTransport } from '../../../../src/mesh/transport/memory.ts';
import { memoryMesh } from '../../../support/mesh.ts';
import { RawPeer } from '../../../support/raw-peer.ts';
import { greeter, rules, testKeys } from './support.ts';

let mesh: ReturnType<typeof memoryMesh>;
afterEach(() => mesh?.close());

const protocolErrors = (node: string) =>
  (mesh.logs.get(node)?.entries ?? []).filter((e) => e.message === 'closing connection after a protocol error').map((e) => String(e.fields.reason));

async function signer(which: 0 | 1) {
  const k = (await testKeys())[which];
  return createHelloIdentity({ privateKey: readPrivateKey(k.privateKey), keys: [readPublicKey(k.publicKey)], issuer: 'micromesh', now: Date.now });
}

test('auth hello — with auth on, a forged node id in HELLO is refused: unsigned, foreign-signed, mismatched or replayed', async () => {
  const [keys] = await testKeys();
  mesh = memoryMesh();
  await mesh.node('server', { auth: 'jwt', authOptions: { ...keys, rules } });
  await mesh.node('client', { auth: 'jwt', authOptions: { ...keys, rules } });
  const raw = () => RawPeer.dial(createMemoryTransport({ network: mesh.network }), 'mem://server');
  const mine = await signer(0);
  const foreign = await signer(1);
  const nonce = randomBytes(16);
  const attempts: Array<[string, (p: RawPeer) => void]> = [
    ['unsigned', (p) => p.hello('client', 'mem://client')],
    ['foreign issuer', (p) => p.hello('client', 'mem://client', nonce, foreign.prove({ nodeId: 'client', address: 'mem://client', nonce }))],
    ['other id', (p) => p.hello('client', 'mem://client', nonce, mine.prove({ nodeId: 'mallory', address: 'mem://client', nonce }))],
    ['other nonce', (p) => p.hello('client', 'mem://client', randomBytes(16), mine.prove({ nodeId: 'client', address: 'mem://client', nonce }))],
    ['garbage proof', (p) => p.hello('client', 'mem://client', nonce, 'x.y.z')],
  ];
  for (const [what, send] of attempts) {
    const p = await raw();
    send(p);
    await p.closed.promise;
    assert.ok(p.isClosed, what);
  }
  const errors = protocolErrors('server');
  assert.equal(errors.length, attempts.length);
  assert.match(errors[0] ?? '', /HELLO of client is not signed/);
  assert.match(errors[1] ?? '', /signature does not match a trusted key/);
  assert.match(errors[2] ?? '', /does not name node client/);
  // A proof made with the mesh key is accepted once; replaying that HELLO is refused.
  const fresh = randomBytes(16);
  const proof = mine.prove({ nodeId: 'client', address: 'mem://client', nonce: fresh });
  const first = await raw();
  first.hello('client', 'mem://client', fresh, proof);
  const replay = await raw();
  replay.hello('client', 'mem://client', fresh, proof);
  await replay.closed.promise;
  assert.match(protocolErrors('server').at(-1) ?? '', /replays a nonce already used/);
  assert.equal(first.isClosed, false, 'the first, genuine HELLO is kept');
  first.close();
});

test('auth hello — a node without the mesh key cannot reach a node with auth on, nor be reached by one', async () => {
  const [keys, other] = await testKeys();
  mesh = memoryMesh();
  const secured = await mesh.node('secured', { auth: 'jwt', authOptions: { ...keys, rules } });
  await secured.serve(greeter);
  const outsider = await mesh.node('outsider', { auth: 'jwt', authOptions: { ...other, rules } });
  const plain = await mesh.node('plain');
  for (const node of [outsider, plain]) {
    const err = await node.client.call('greeter', 'Say.Hello', { name: 'x' }, { timeoutMs: 2000 }).catch((e: unknown) => e);
    assert.ok(err instanceof MicroError && err.code === 503, `${node.id}: ${String(err)}`);
  }
  await plain.serve({ ...greeter, name: 'open' });
  const err = await secured.client.call('open', 'Say.Hello', { name: 'x' }, { timeoutMs: 2000 }).catch((e: unknown) => e);
  assert.ok(err instanceof MicroError && err.code === 503, `an unsigned HELLO from the callee is refused too: ${String(err)}`);
  assert.ok(protocolErrors('secured').some((r) => /HELLO of (outsider|plain)/.test(r) || /signature/.test(r)));
});
