import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import {
  type ActorContext,
  ActorFailedError,
  type ActorSystem,
  type Ask,
  AskTimeoutError,
  createSimulatedClock,
  InvalidTimeoutError,
  type SimulatedClock,
} from '../../../src/actors/index.ts';
import { MAX_TIMER_MS } from '../../../src/actors/clock.ts';
import { kernelOf } from '../../../src/actors/internal.ts';
import { createActorSystem } from '../../../src/supervisor/index.ts';
import { deferred, settlesSoon, turns, waitUntil } from '../../support/wait.ts';

let system: ActorSystem;
afterEach(() => system?.terminate());

type Get = { type: 'get' } & Ask<number>;
type Slow = { type: 'slow'; ms: number } & Ask<string>;

function simulated(): SimulatedClock {
  const clock = createSimulatedClock();
  system = createActorSystem({ clock });
  return clock;
}

test('ask — infers the reply type and resolves with the reply', async () => {
  system = createActorSystem();
  const ref = system.spawn((m: Get, ctx: ActorContext<Get>) => ctx.reply(42));
  const n: number = await ref.ask({ type: 'get' });
  assert.equal(n, 42);
});

test('ask — a timeout is a typed error naming the target, message type and timeout, at exactly the timeout', async () => {
  const clock = simulated();
  const ref = system.spawn((_m: Slow) => {}, { name: 'silent' });
  const pending = ref.ask({ type: 'slow', ms: 0 }, { timeoutMs: 20 }).catch((e: unknown) => e);
  clock.advance(19);
  await assert.rejects(settlesSoon(pending, 'the ask'), /did not settle/, 'timed out before its time');
  clock.advance(1);
  const err = await settlesSoon(pending, 'the ask');
  assert.ok(err instanceof AskTimeoutError);
  assert.equal(err.code, 'ASK_TIMEOUT');
  assert.equal(err.target, '/user/silent');
  assert.equal(err.messageType, 'slow');
  assert.equal(err.timeoutMs, 20);
  assert.match(err.message, /\/user\/silent.*slow.*20 ms/);
});

test('ask — a late reply is dropped and counted', async () => {
  const clock = simulated();
  const gate = deferred();
  const ref = system.spawn(async (_m: Slow, ctx: ActorContext<Slow>) => {
    await gate.promise;
    ctx.reply('late');
  });
  const pending = ref.ask({ type: 'slow', ms: 60 }, { timeoutMs: 10 });
  await turns();
  clock.advance(10);
  await assert.rejects(settlesSoon(pending), AskTimeoutError);
  gate.resolve();
  await waitUntil(() => system.stats().lateReplies === 1, 2000, 'late reply counted');
  assert.equal(system.stats().deadLetters, 0);
});

test('ask — after 10k timed-out asks the live reply endpoints are back to baseline', async () => {
  const clock = simulated();
  const ref = system.spawn((_m: Slow) => {}, { mailbox: { capacity: 20_000 } });
  const baseline = system.stats();
  const asks = Array.from({ length: 10_000 }, () => ref.ask({ type: 'slow', ms: 0 }, { timeoutMs: 5 }).catch((e: unknown) => e));
  assert.equal(system.stats().liveAsks, baseline.liveAsks + 10_000);
  clock.advance(5);
  const results = await settlesSoon(Promise.all(asks), 'the asks');
  assert.ok(results.every((r) => r instanceof AskTimeoutError));
  const after = system.stats();
  assert.equal(after.liveAsks, baseline.liveAsks);
  assert.equal(after.registeredAskEndpoints, baseline.registeredAskEndpoints);
  assert.equal(after.askTimeouts, 10_000);
});

test('ask — 10k distinct timeouts: the timeout lists and their timers return to none, answered or timed out', async () => {
  const clock = simulated();
  const asks = kernelOf(system).asks;
  const echo = system.spawn((_m: Get, ctx: ActorContext<Get>) => ctx.reply(1), { mailbox: { capacity: 20_000 } });
  const silent = system.spawn((_m: Get) => {}, { mailbox: { capacity: 20_000 } });
  const answered = Array.from({ length: 10_000 }, (_, i) => echo.ask({ type: 'get' }, { timeoutMs: 1000 + i }));
  const timedOut = Array.from({ length: 10_000 }, (_, i) => silent.ask({ type: 'get' }, { timeoutMs: 1000 + i + 0.5 }).catch((e: unknown) => e));
  assert.equal(asks.timeoutLists, 20_000);
  await settlesSoon(Promise.all(answered), 'the answered asks', 1000);
  clock.advance(11_000);
  const failures = await settlesSoon(Promise.all(timedOut), 'the timed-out asks');
  assert.ok(failures.every((e) => e instanceof AskTimeoutError));
  assert.equal(asks.timeoutLists, 0, 'a list per distinct timeout was kept');
  assert.equal(clock.pending, 0, 'a timer of an empty list is still pending');
  assert.equal(system.stats().liveAsks, 0);
});

test('ask — a timeout that is not a finite number >= 0 is rejected at once with INVALID_TIMEOUT', async () => {
  const clock = simulated();
  const ref = system.spawn((_m: Get, ctx: ActorContext<Get>) => ctx.reply(1));
  for (const timeoutMs of [Number.NaN, -1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    const err = await settlesSoon(ref.ask({ type: 'get' }, { timeoutMs }).catch((e: unknown) => e), String(timeoutMs));
    assert.ok(err instanceof InvalidTimeoutError, String(timeoutMs));
    assert.equal(err.code, 'INVALID_TIMEOUT');
    assert.throws(() => kernelOf(system).asks.create('/user/x', 'get', { timeoutMs }), InvalidTimeoutError);
  }
  assert.equal(system.stats().liveAsks, 0);
  assert.equal(kernelOf(system).asks.timeoutLists, 0);
  assert.equal(clock.pending, 0);
  const zero = ref.ask({ type: 'get' }, { timeoutMs: 0 }).catch((e: unknown) => (e as AskTimeoutError).code);
  clock.advance(0);
  assert.equal(await settlesSoon(zero), 'ASK_TIMEOUT', 'a timeout of 0 is valid: it expires on the first timer run');
});

test('ask — a timeout past the platform timer limit waits its full time instead of firing at once', async () => {
  const clock = simulated();
  const ref = system.spawn((_m: Get) => {});
  const timeoutMs = MAX_TIMER_MS * 2 + 10;
  const pending = ref.ask({ type: 'get' }, { timeoutMs }).catch((e: unknown) => e);
  clock.advance(1);
  clock.advance(MAX_TIMER_MS);
  clock.advance(MAX_TIMER_MS);
  await assert.rejects(settlesSoon(pending, 'the ask'), /did not settle/, 'fired before its time');
  assert.equal(clock.pending, 1, 'one timer, re-armed after each clamped run');
  clock.advance(9);
  const err = await settlesSoon(pending, 'the ask');
  assert.ok(err instanceof AskTimeoutError);
  assert.equal(err.timeoutMs, timeoutMs);
});

test('ask — onTimeout given at create supplies the rejection', async () => {
  const clock = simulated();
  const custom = new Error('the call’s own timeout');
  const ep = kernelOf(system).asks.create('svc Say.Hello', 'Say.Hello', { timeoutMs: 50, onTimeout: { timedOut: () => custom } });
  assert.equal(ep.replier, undefined, 'the replier is the mesh’s to set');
  clock.advance(50);
  assert.equal(await settlesSoon(ep.promise.catch((e: unknown) => e)), custom);
  assert.equal(system.stats().askTimeouts, 1);
});

test('ask — a serialised reply endpoint gets an unguessable token address that resolves back to it', async () => {
  simulated();
  const asks = kernelOf(system).asks;
  const eps = Array.from({ length: 1000 }, () => asks.create('/user/x', 'get', { timeoutMs: 1000 }));
  for (const ep of eps) ep.promise.catch(() => {}); // the rest fail when the system stops
  const addresses = eps.map((ep) => ep.toJSON().$ref);
  assert.equal(new Set(addresses).size, 1000);
  for (const address of addresses) assert.match(address, new RegExp(`^mesh://${system.nodeId}/temp/[A-Za-z0-9_-]{16}$`));
  const first = eps[0] as (typeof eps)[number];
  const token = first.path.slice('/temp/'.length);
  assert.equal(asks.byId(token), first);
  assert.equal(system.ref(addresses[0] as string), first);
  assert.equal(system.ref(`mesh://${system.nodeId}/temp/1`).tell(1), false, 'a guessed sequential id names nothing');
  assert.equal(asks.registered, 1000);
  system.ref(addresses[0] as string).tell(7);
  assert.equal(await first.promise, 7);
  assert.equal(asks.byId(token), undefined, 'a settled endpoint is no longer found');
  assert.equal(system.ref(addresses[0] as string).tell(8), false, 'a reply to a settled endpoint is a dead letter');
  assert.equal(asks.registered, 999);
});

test('ask — the asked actor failing fails the ask at once with its error', async () => {
  simulated();
  const ref = system.spawn((_m: Get) => {
    throw new Error('kaput');
  });
  const err = await settlesSoon(ref.ask({ type: 'get' }, { timeoutMs: 60_000 }).catch((e: unknown) => e));
  assert.ok(err instanceof ActorFailedError);
  assert.equal((err.cause as Error).message, 'kaput');
});

test('ask — an abort signal rejects the ask', async () => {
  simulated();
  const ref = system.spawn((_m: Get) => {});
  const ac = new AbortController();
  const p = ref.ask({ type: 'get' }, { timeoutMs: 60_000, signal: ac.signal });
  ac.abort();
  await assert.rejects(settlesSoon(p), /aborted/);
  assert.equal(system.stats().liveAsks, 0);
  const aborted = ref.ask({ type: 'get' }, { timeoutMs: 60_000, signal: ac.signal });
  await assert.rejects(settlesSoon(aborted), /aborted/, 'an already aborted signal rejects at once');
  assert.equal(system.stats().liveAsks, 0);
});
