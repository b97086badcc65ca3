import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSimulatedClock } from '../../../../src/actors/clock.ts';
import { createHealthChecks, type Readiness } from '../../../../src/mesh/ops/health.ts';

/** Lets pending promise callbacks run (no time passes on any clock). */
const settle = () => new Promise((r) => setImmediate(r));

test('health — a hung check fails ready after its timeout on the node clock, and not a moment before', async () => {
  const clock = createSimulatedClock();
  const health = createHealthChecks({ registered: () => undefined }, clock);
  health.addCheck('db', () => new Promise(() => {}), { timeoutMs: 500 });
  health.addCheck('cache', () => true, { timeoutMs: 500 });
  const answer: { result?: Readiness } = {};
  void health.readiness().then((r) => {
    answer.result = r;
  });
  await settle();
  clock.advance(499);
  await settle();
  assert.equal(answer.result, undefined, 'still waiting for the hung check');
  clock.advance(1);
  await settle();
  const result = answer.result as Readiness | undefined;
  assert.ok(result, 'answered at the timeout');
  assert.equal(result.ready, false);
  assert.deepEqual(result.checks.db, { ok: false, critical: true, error: 'no answer within 500 ms' });
  assert.deepEqual(result.checks.cache, { ok: true, critical: true });
});

test('health — a hung non-critical check is reported failed but leaves the node ready', async () => {
  const clock = createSimulatedClock();
  const health = createHealthChecks({}, clock);
  health.addCheck('slow-report', () => new Promise(() => {}), { timeoutMs: 100, critical: false });
  const pending = health.readiness();
  await settle();
  clock.advance(100);
  const r = await pending;
  assert.equal(r.ready, true);
  assert.equal(r.checks['slow-report']?.ok, false);
});

test('health — a check answering before its timeout passes, and its timer is cleared', async () => {
  const clock = createSimulatedClock();
  const health = createHealthChecks({}, clock);
  health.addCheck('db', async () => {}, { timeoutMs: 500 });
  const r = await health.readiness();
  assert.equal(r.ready, true);
  assert.equal(clock.pending, 0);
});
