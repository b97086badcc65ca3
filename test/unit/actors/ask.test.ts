import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { type ActorContext, type ActorSystem, type Ask, AskTimeoutError, ActorFailedError } from '../../../src/actors/index.ts';
import { createActorSystem } from '../../../src/supervisor/index.ts';
import { waitUntil } from '../../support/wait.ts';

let system: ActorSystem;
afterEach(() => system?.terminate());

type Get = { type: 'get' } & Ask<number>;
type Slow = { type: 'slow'; ms: number } & Ask<string>;

test('ask — infers the reply type and resolves with the reply', async () => {
  system = createActorSystem();
  const ref = system.spawn((m: Get, ctx: ActorContext<Get>) => ctx.reply(42));
  const n: number = await ref.ask({ type: 'get' });
  assert.equal(n, 42);
});

test('ask — a timeout is a typed error naming the target, message type and timeout', async () => {
  system = createActorSystem();
  const ref = system.spawn((_m: Slow) => {}, { name: 'silent' });
  const err = await ref.ask({ type: 'slow', ms: 0 }, { timeoutMs: 20 }).catch((e: unknown) => e);
  assert.ok(err instanceof AskTimeoutError);
  assert.equal(err.code, 'ASK_TIMEOUT');
  assert.equal(err.target, '/user/silent');
  assert.equal(err.messageType, 'slow');
  assert.equal(err.timeoutMs, 20);
  assert.match(err.message, /\/user\/silent.*slow.*20 ms/);
});

test('ask — a late reply is dropped and counted', async () => {
  system = createActorSystem();
  const ref = system.spawn(async (m: Slow, ctx: ActorContext<Slow>) => {
    await new Promise((r) => setTimeout(r, m.ms));
    ctx.reply('late');
  });
  await assert.rejects(ref.ask({ type: 'slow', ms: 60 }, { timeoutMs: 10 }), AskTimeoutError);
  await waitUntil(() => system.stats().lateReplies === 1, 2000, 'late reply counted');
  assert.equal(system.stats().deadLetters, 0);
});

test('ask — after 10k timed-out asks the live reply endpoints are back to baseline', async () => {
  system = createActorSystem();
  const ref = system.spawn((_m: Slow) => {}, { mailbox: { capacity: 20_000 } });
  const baseline = system.stats();
  const asks = Array.from({ length: 10_000 }, () => ref.ask({ type: 'slow', ms: 0 }, { timeoutMs: 5 }).catch((e: unknown) => e));
  assert.equal(system.stats().liveAsks, baseline.liveAsks + 10_000);
  const results = await Promise.all(asks);
  assert.ok(results.every((r) => r instanceof AskTimeoutError));
  const after = system.stats();
  assert.equal(after.liveAsks, baseline.liveAsks);
  assert.equal(after.registeredAskEndpoints, baseline.registeredAskEndpoints);
  assert.equal(after.askTimeouts, 10_000);
});

test('ask — the asked actor failing fails the ask at once with its error', async () => {
  system = createActorSystem();
  const ref = system.spawn((_m: Get) => {
    throw new Error('kaput');
  });
  const err = await ref.ask({ type: 'get' }, { timeoutMs: 60_000 }).catch((e: unknown) => e);
  assert.ok(err instanceof ActorFailedError);
  assert.equal((err.cause as Error).message, 'kaput');
});

test('ask — an abort signal rejects the ask', async () => {
  system = createActorSystem();
  const ref = system.spawn((_m: Get) => {});
  const ac = new AbortController();
  const p = ref.ask({ type: 'get' }, { timeoutMs: 60_000, signal: ac.signal });
  ac.abort();
  await assert.rejects(p, /aborted/);
  assert.equal(system.stats().liveAsks, 0);
});
