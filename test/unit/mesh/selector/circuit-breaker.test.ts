import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createCircuitBreaker } from '../../../../src/mesh/selector/circuit-breaker.ts';
import { createSimulatedClock } from '../../../../src/actors/clock.ts';

describe('circuit breaker', () => {
  test('circuit breaker — opens after N consecutive failures, not before; a success resets the count', () => {
    const clock = createSimulatedClock(10_000);
    const breaker = createCircuitBreaker({ failureThreshold: 3, clock });
    breaker.onFailure();
    breaker.onFailure();
    breaker.onSuccess();
    breaker.onFailure();
    breaker.onFailure();
    assert.equal(breaker.state, 'closed');
    assert.ok(breaker.canPass());
    breaker.onFailure();
    assert.equal(breaker.state, 'open');
    assert.ok(!breaker.canPass());
  });

  test('circuit breaker — half-open after the cool-down lets exactly one probe through; its success closes', () => {
    const clock = createSimulatedClock(10_000);
    const breaker = createCircuitBreaker({ failureThreshold: 1, cooldownMs: 5_000, clock });
    breaker.onFailure();
    clock.advance(4_999);
    assert.equal(breaker.state, 'open');
    clock.advance(1);
    assert.equal(breaker.state, 'half-open');
    assert.ok(breaker.canPass());
    breaker.onStart();
    assert.ok(!breaker.canPass(), 'a second call waits while the probe is out');
    breaker.onSuccess();
    assert.equal(breaker.state, 'closed');
    assert.ok(breaker.canPass());
  });

  test('circuit breaker — a failed probe opens it again for another cool-down', () => {
    const clock = createSimulatedClock(10_000);
    const breaker = createCircuitBreaker({ failureThreshold: 1, cooldownMs: 1_000, clock });
    breaker.onFailure();
    clock.advance(1_000);
    breaker.onStart();
    breaker.onFailure();
    assert.equal(breaker.state, 'open');
    clock.advance(999);
    assert.ok(!breaker.canPass());
    clock.advance(1);
    assert.equal(breaker.state, 'half-open');
  });

  test('circuit breaker — a probe that never reports back frees the slot after a cool-down', () => {
    const clock = createSimulatedClock(10_000);
    const breaker = createCircuitBreaker({ failureThreshold: 1, cooldownMs: 1_000, clock });
    breaker.onFailure();
    clock.advance(1_000);
    breaker.onStart();
    clock.advance(999);
    assert.ok(!breaker.canPass());
    clock.advance(1);
    assert.ok(breaker.canPass());
  });

  test('circuit breaker — opens on the failure ratio in the window once enough calls were seen', () => {
    const clock = createSimulatedClock(10_000);
    const breaker = createCircuitBreaker({ failureThreshold: 100, failureRatio: 0.5, minRequests: 20, windowMs: 10_000, clock });
    for (let i = 0; i < 9; i++) {
      breaker.onSuccess();
      breaker.onFailure();
      clock.advance(100);
    }
    breaker.onSuccess();
    assert.equal(breaker.state, 'closed', '19 calls are under minRequests');
    breaker.onFailure();
    assert.equal(breaker.state, 'open', '10 of 20 failed');
  });

  test('circuit breaker — failures older than the window no longer count toward the ratio', () => {
    const options = { failureThreshold: 100, failureRatio: 0.5, minRequests: 20, windowMs: 10_000 };
    const run = (gapMs: number) => {
      const clock = createSimulatedClock(10_000);
      const breaker = createCircuitBreaker({ ...options, clock });
      for (let i = 0; i < 15; i++) breaker.onFailure();
      clock.advance(gapMs);
      for (let i = 0; i < 15; i++) breaker.onSuccess();
      for (let i = 0; i < 6; i++) breaker.onFailure();
      return breaker.state;
    };
    assert.equal(run(1_000), 'open', '21 of 36 failed inside one window');
    assert.equal(run(11_000), 'closed', '6 of 21 in the window; the 15 old failures slid out');
  });

  test('circuit breaker — results of calls that were out when it opened do not close it', () => {
    const clock = createSimulatedClock(10_000);
    const breaker = createCircuitBreaker({ failureThreshold: 1, cooldownMs: 1_000, clock });
    breaker.onFailure();
    breaker.onSuccess();
    assert.equal(breaker.state, 'open');
  });
});
