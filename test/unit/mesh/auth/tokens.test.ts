import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../../../src/actors/index.ts';
import { createSimulatedClock } from '../../../../src/actors/clock.ts';
import type { Rule } from '../../../../src/mesh/auth/auth.ts';
import { createJwtAuth } from '../../../../src/mesh/auth/jwt-auth.ts';
import { readPrivateKey, readPublicKey } from '../../../../src/mesh/auth/keys.ts';
import { createAuthMiddleware } from '../../../../src/mesh/auth/middleware.ts';
import { checkRules, decide, matches } from '../../../../src/mesh/auth/rules.ts';
import { rulesFromStore, watchedRules } from '../../../../src/mesh/auth/sources.ts';
import { createTokenVerifier } from '../../../../src/mesh/auth/verifier.ts';
import { issueJwt, signJwtSync } from '../../../../src/mesh/auth/jwt.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { compose, type InboundDelivery, type OutboundPublish } from '../../../../src/mesh/middleware/middleware.ts';
import { createMemoryStore } from '../../../../src/mesh/store/memory.ts';
import { jsonBytes } from '../../../../src/mesh/store/store.ts';
import { waitUntil } from '../../../support/wait.ts';
import { testKeys } from './support.ts';

const reason = (r: string) => (err: unknown) => err instanceof MicroError && err.reason === r;

test('auth tokens — a long-running node refreshes its token before it expires, on the node clock', async () => {
  const [keys] = await testKeys();
  const clock = createSimulatedClock();
  const auth = await createJwtAuth({ ...keys, tokenTtlMs: 60_000, refreshAheadMs: 10_000 }, { nodeId: 'n1', clock, logger: silentLogger });
  try {
    const first = auth.token() as string;
    const firstExp = auth.verify(first).expiresAt;
    clock.advance(49_000);
    assert.equal(auth.token(), first, 'not refreshed early');
    clock.advance(2000);
    await waitUntil(() => auth.token() !== first, 2000, 'the refreshed token');
    const second = auth.token() as string;
    assert.notEqual(second, first, 'refreshed 10 s before expiry');
    assert.ok(auth.verify(second).expiresAt > firstExp);
    clock.advance(20_000);
    assert.throws(() => auth.verify(first), reason('UNAUTHORIZED'), 'the old token expired, cached or not');
    assert.equal(auth.verify(second).account.id, 'n1');
  } finally {
    await auth.close();
  }
});

test('auth tokens — a node given a token (no private key) refreshes it through its refresh function', async () => {
  const [keys] = await testKeys();
  const clock = createSimulatedClock();
  const issuer = await createJwtAuth({ ...keys }, { nodeId: 'issuer', clock, logger: silentLogger });
  let refreshed = 0;
  const holder = await createJwtAuth(
    {
      publicKey: keys.publicKey,
      token: await issuer.issue({ id: 'worker', type: 'service', scopes: ['service'] }, { ttlMs: 30_000 }),
      refresh: () => {
        refreshed++;
        return issuer.issue({ id: 'worker', type: 'service', scopes: ['service'] }, { ttlMs: 30_000 });
      },
    },
    { nodeId: 'worker', clock, logger: silentLogger },
  );
  try {
    assert.equal(holder.hello, undefined, 'no private key: no signed HELLO');
    await assert.rejects(holder.issue({ id: 'x' }), reason('UNAVAILABLE'));
    clock.advance(25_000);
    await waitUntil(() => refreshed === 1, 2000, 'the refresh');
    assert.equal(holder.verify(holder.token() as string).account.id, 'worker');
  } finally {
    await holder.close();
    await issuer.close();
  }
});

test('auth tokens — verify results are cached per token, in a bounded cache', async () => {
  const [keys] = await testKeys();
  const key = readPrivateKey(keys.privateKey);
  let now = Date.now();
  const verifier = createTokenVerifier({ keys: [readPublicKey(keys.publicKey)], issuer: 'micromesh', now: () => now, cacheSize: 3, maxTokenBytes: 8192 });
  const tokens = await Promise.all([1, 2, 3, 4, 5].map((i) => issueJwt({ id: `u${i}`, type: 'user', scopes: [], metadata: {} }, key, { issuer: 'micromesh', nowMs: now, ttlMs: 60_000 })));
  for (const t of tokens) verifier.verify(t);
  assert.equal(verifier.cached, 3);
  now += 61_000;
  assert.throws(() => verifier.verify(tokens[4] as string), /expired/);
  assert.equal(verifier.cached, 2, 'an expired token leaves the cache');
});

test('auth rules — wildcards, priorities and scopes, first match decides', () => {
  assert.ok(matches('Say.*', 'Say.Hello') && matches('*', 'x') && matches(undefined, 'x') && matches('greeter', 'greeter'));
  assert.ok(!matches('Say.*', 'Admin.Reset') && !matches('greeter', 'greeter2'));
  const rules = checkRules([
    { id: 'low', resource: { name: '*' }, scope: '*', access: 'grant' },
    { id: 'public-health', resource: { name: '*', endpoint: 'Health.*' }, scope: '', access: 'grant', priority: 5 },
    { id: 'deny-say', resource: { type: 'service', name: 'greeter', endpoint: 'Say.*' }, scope: '*', access: 'deny', priority: 10 },
    { id: 'vip', resource: { name: 'greeter', endpoint: 'Say.Hello' }, scope: 'vip', access: 'grant', priority: 20 },
  ] satisfies Rule[]);
  assert.deepEqual(rules.map((r) => r.id), ['vip', 'deny-say', 'public-health', 'low']);
  const user = (scopes: string[]) => ({ id: 'u', type: 'user', scopes, metadata: {} });
  const svc = (endpoint: string) => ({ type: 'service', name: 'greeter', endpoint });
  assert.equal(decide(rules, user(['vip']), svc('Say.Hello'))?.id, 'vip');
  assert.equal(decide(rules, user([]), svc('Say.Hello'))?.id, 'deny-say');
  assert.equal(decide(rules, undefined, svc('Health.Check'))?.id, 'public-health');
  assert.equal(decide(rules, undefined, svc('Other.X')), undefined, 'no account matches only scope ""');
  assert.equal(decide(rules, user([]), svc('Other.X'))?.id, 'low');
  assert.throws(() => checkRules([{ id: 'a', resource: { name: '*' }, scope: '*', access: 'grant' }, { id: 'a', resource: { name: '*' }, scope: '*', access: 'grant' }]), /rule a: id is used twice/);
  assert.throws(() => checkRules('nope'), /must be a list/);
});

test('auth rules — from the store, and from a watched source (how config plugs in), a bad update keeps the last good', async () => {
  const [keys] = await testKeys();
  const auth = await createJwtAuth({ ...keys }, { nodeId: 'n', clock: createSimulatedClock(), logger: silentLogger });
  try {
    const store = createMemoryStore();
    assert.deepEqual(await rulesFromStore(store, 'auth/rules').load(), [], 'no record: no rules');
    await store.write({ key: 'auth/rules', value: jsonBytes([{ id: 'from-store', resource: { name: '*' }, scope: '*', access: 'grant' }]) });
    await auth.useRules(rulesFromStore(store, 'auth/rules'));
    assert.deepEqual(auth.rules().map((r) => r.id), ['from-store']);
    const clock = createSimulatedClock();
    const stopPolling = await auth.useRules(rulesFromStore(store, 'auth/rules', { everyMs: 1000, clock }));
    await waitUntil(() => clock.pending > 0, 2000, 'the first read');
    await store.write({ key: 'auth/rules', value: jsonBytes([{ id: 'polled', resource: { name: '*' }, scope: '*', access: 'grant' }]) });
    clock.advance(1000);
    await waitUntil(() => auth.rules()[0]?.id === 'polled', 2000, 'the changed record applied');
    let push: (rules: readonly Rule[]) => void = () => {};
    let watching = true;
    const stop = await auth.useRules(
      watchedRules(
        () => [{ id: 'v1', resource: { name: '*' }, scope: '*', access: 'grant' }],
        (fn) => {
          push = fn;
          return () => {
            watching = false;
          };
        },
      ),
    );
    assert.deepEqual(auth.rules().map((r) => r.id), ['v1']);
    assert.equal(clock.pending, 0, 'following a new source stops polling the store');
    stopPolling();
    push([{ id: 'v2', resource: { name: '*' }, scope: '*', access: 'deny' }]);
    assert.deepEqual(auth.rules().map((r) => r.id), ['v2']);
    push([{ id: '', resource: { name: '*' }, scope: '*', access: 'deny' }]);
    assert.deepEqual(auth.rules().map((r) => r.id), ['v2'], 'a bad update is refused');
    stop();
    assert.equal(watching, false);
  } finally {
    await auth.close();
  }
});

test('auth middleware — publish attaches the token and subscribe checks it, through middleware composition', async () => {
  const [keys] = await testKeys();
  const clock = createSimulatedClock();
  const auth = await createJwtAuth(
    { ...keys, rules: [{ id: 'orders', resource: { type: 'topic', name: 'orders.*' }, scope: 'service', access: 'grant' }] },
    { nodeId: 'pub', clock, logger: silentLogger },
  );
  try {
    const mw = [createAuthMiddleware(auth)];
    const sent: OutboundPublish[] = [];
    const publish = compose(mw, 'publish', async (p) => {
      sent.push(p);
    });
    const delivered: InboundDelivery[] = [];
    const deliver = compose(mw, 'subscribe', async (d) => {
      delivered.push(d);
    });
    await publish({ topic: 'orders.created', message: { id: 1 }, metadata: {} });
    assert.match(sent[0]?.metadata.authorization ?? '', /^Bearer ey/);
    await deliver({ topic: 'orders.created', message: { id: 1 }, metadata: sent[0]?.metadata ?? {} });
    assert.equal(delivered.length, 1);
    await assert.rejects(deliver({ topic: 'orders.created', message: {}, metadata: {} }), reason('UNAUTHORIZED'));
    await assert.rejects(deliver({ topic: 'payments', message: {}, metadata: sent[0]?.metadata ?? {} }), (e: unknown) => reason('FORBIDDEN')(e) && /topic payments publish/.test((e as MicroError).detail));
    assert.equal(delivered.length, 1);
  } finally {
    await auth.close();
  }
});

test('auth options — bad keys and missing keys are one clear BAD_REQUEST', async () => {
  const deps = { nodeId: 'n', clock: createSimulatedClock(), logger: silentLogger };
  await assert.rejects(createJwtAuth({}, deps), (e: unknown) => reason('BAD_REQUEST')(e) && /needs a key/.test((e as Error).message));
  await assert.rejects(createJwtAuth({ privateKey: 'not a key' }, deps), /auth private key is not a PEM key/);
  const [keys] = await testKeys();
  await assert.rejects(createJwtAuth({ publicKey: keys.publicKey, signHello: true }, deps), /signed HELLOs need the private key/);
  const fromEnv = await createJwtAuth({}, { ...deps, env: { MICRO_AUTH_PRIVATE_KEY: Buffer.from(keys.privateKey).toString('base64') } });
  assert.equal(fromEnv.verify(fromEnv.token() as string).account.id, 'n');
  await fromEnv.close();
});

test('auth tokens — a token signed with the right key but wrong claims is still 401, naming the claim', async () => {
  const [keys] = await testKeys();
  const key = readPrivateKey(keys.privateKey);
  const auth = await createJwtAuth({ ...keys }, { nodeId: 'n', clock: createSimulatedClock(), logger: silentLogger });
  try {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ iss: 'someone-else', sub: 'a', type: 'user', scopes: [], exp }, /issuer "someone-else"/],
      [{ iss: 'micromesh', sub: 'a', type: 'user', scopes: [] }, /no expiry/],
      [{ iss: 'micromesh', sub: 'a', type: 'user', scopes: 'admin', exp }, /scopes are not a list/],
      [{ iss: 'micromesh', type: 'user', scopes: [], exp }, /names no account/],
      [{ iss: 'micromesh', sub: 'a', type: 'user', scopes: [], exp, nbf: exp }, /not valid yet/],
    ];
    for (const [claims, detail] of cases) {
      assert.throws(() => auth.verify(signJwtSync(claims, key)), (e: unknown) => reason('UNAUTHORIZED')(e) && detail.test((e as MicroError).detail), JSON.stringify(claims));
    }
  } finally {
    await auth.close();
  }
});
