import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { withNodeHealth } from '../../../../src/mesh/selector/healthy-selector.ts';
import { createNodeHealth } from '../../../../src/mesh/selector/node-health.ts';
import { createSelector } from '../../../../src/mesh/selector/selector.ts';
import { createSimulatedClock } from '../../../../src/actors/clock.ts';
import { nodes, seeded } from './support.ts';

describe('node health', () => {
  test('node health — a failure marks a node down with exponential backoff from 100 ms to 30 s', () => {
    const clock = createSimulatedClock(10_000);
    const health = createNodeHealth({ clock, breaker: { failureThreshold: 1_000 } });
    const expected = [100, 200, 400, 800, 1_600, 3_200, 6_400, 12_800, 25_600, 30_000, 30_000];
    for (const backoff of expected) {
      health.onFinish('n1', false);
      assert.equal(health.state('n1').downUntil - clock.now(), backoff);
      clock.advance(backoff - 1);
      assert.ok(!health.isAvailable('n1'), `still down 1 ms before ${backoff}`);
      clock.advance(1);
      assert.ok(health.isAvailable('n1'), `back after ${backoff}`);
    }
  });

  test('node health — a success resets the backoff', () => {
    const clock = createSimulatedClock(10_000);
    const health = createNodeHealth({ clock });
    health.onFinish('n1', false);
    health.onFinish('n1', false);
    health.onFinish('n1', false);
    assert.equal(health.state('n1').downUntil - clock.now(), 400);
    clock.advance(400);
    health.onFinish('n1', true);
    assert.deepEqual(health.state('n1'), { available: true, failures: 0, downUntil: 0, breaker: 'closed' });
    health.onFinish('n1', false);
    assert.equal(health.state('n1').downUntil - clock.now(), 100);
  });

  test('node health — filter drops down nodes, returns all when all are down, and the same array when none is', () => {
    const clock = createSimulatedClock(10_000);
    const health = createNodeHealth({ clock });
    const three = nodes(3);
    assert.equal(health.filter(three), three);
    health.onFinish('node-1', false);
    assert.deepEqual(health.filter(three).map((n) => n.id), ['node-0', 'node-2']);
    health.onFinish('node-0', false);
    health.onFinish('node-2', false);
    assert.equal(health.filter(three), three);
    clock.advance(100);
    assert.equal(health.filter(three), three);
  });

  test('node health — N consecutive failures open the breaker: the node stays out after its backoff, until a probe', () => {
    const clock = createSimulatedClock(10_000);
    const health = createNodeHealth({ clock, breaker: { failureThreshold: 3, cooldownMs: 5_000 } });
    for (let i = 0; i < 3; i++) health.onFinish('n1', false);
    assert.equal(health.state('n1').breaker, 'open');
    clock.advance(1_000);
    assert.ok(clock.now() > health.state('n1').downUntil, 'the backoff is over');
    assert.ok(!health.isAvailable('n1'), 'but the circuit is open');
    clock.advance(4_000);
    assert.equal(health.state('n1').breaker, 'half-open');
    assert.ok(health.isAvailable('n1'));
    health.onStart('n1');
    assert.ok(!health.isAvailable('n1'), 'one probe at a time');
    health.onFinish('n1', true);
    assert.equal(health.state('n1').breaker, 'closed');
    assert.ok(health.isAvailable('n1'));
  });

  test('node health — a failed probe keeps the node out for another cool-down', () => {
    const clock = createSimulatedClock(10_000);
    const health = createNodeHealth({ clock, breaker: { failureThreshold: 2, cooldownMs: 5_000 } });
    health.onFinish('n1', false);
    health.onFinish('n1', false);
    clock.advance(5_000);
    health.onStart('n1');
    health.onFinish('n1', false);
    assert.equal(health.state('n1').breaker, 'open');
    clock.advance(4_999);
    assert.ok(!health.isAvailable('n1'));
    clock.advance(1);
    assert.ok(health.isAvailable('n1'));
  });

  test('node health — the failure ratio counts successes too, so alternating failures open the breaker', () => {
    const clock = createSimulatedClock(10_000);
    const health = createNodeHealth({ clock, breaker: { failureThreshold: 100, failureRatio: 0.5, minRequests: 20 } });
    for (let i = 0; i < 10; i++) {
      health.onFinish('n1', true);
      health.onFinish('n1', false);
      clock.advance(10);
    }
    assert.equal(health.state('n1').breaker, 'open');
  });

  test('node health — forget drops what is known of a node', () => {
    const clock = createSimulatedClock(10_000);
    const health = createNodeHealth({ clock });
    health.onFinish('n1', false);
    health.forget('n1');
    assert.ok(health.isAvailable('n1'));
    assert.equal(health.state('n1').failures, 0);
  });

  test('node health — with a selector, a failing node is skipped until its backoff passes', () => {
    const clock = createSimulatedClock(10_000);
    const selector = withNodeHealth(createSelector('round-robin', { random: seeded(1) }), createNodeHealth({ clock }));
    const three = nodes(3);
    selector.onStart('node-1');
    selector.onFinish('node-1', false);
    const picks = new Set(Array.from({ length: 30 }, () => selector.select(three)?.id));
    assert.deepEqual([...picks].sort(), ['node-0', 'node-2']);
    clock.advance(100);
    const later = new Set(Array.from({ length: 30 }, () => selector.select(three)?.id));
    assert.ok(later.has('node-1'));
  });

  test('node health — with least-inflight, start and finish reach both the health and the strategy', () => {
    const clock = createSimulatedClock(10_000);
    const health = createNodeHealth({ clock });
    const selector = withNodeHealth(createSelector('least-inflight', { random: seeded(3) }), health);
    const two = nodes(2);
    for (let i = 0; i < 5; i++) selector.onStart('node-0');
    assert.equal(selector.select(two)?.id, 'node-1');
    for (let i = 0; i < 5; i++) selector.onFinish('node-0', i > 0);
    assert.equal(health.state('node-0').failures, 0, 'the last finish was a success');
    const picks = new Set(Array.from({ length: 20 }, () => selector.select(two)?.id));
    assert.ok(picks.has('node-0'), 'its in-flight count is back to zero');
  });
});
