import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSimulatedClock, systemClock } from '../../../src/actors/index.ts';
import { MAX_TIMER_MS, processClock, safeDelay } from '../../../src/actors/clock.ts';

test('clock — the simulated clock runs due timers in time order, each at its due time, and only when advanced', () => {
  const clock = createSimulatedClock(0);
  const ran: Array<[string, number]> = [];
  clock.setTimeout(() => ran.push(['b', clock.now()]), 20);
  clock.setTimeout(() => ran.push(['a', clock.now()]), 10);
  const c = clock.setTimeout(() => ran.push(['c', clock.now()]), 15);
  clock.setTimeout(() => {
    ran.push(['d', clock.now()]);
    clock.setTimeout(() => ran.push(['e', clock.now()]), 1);
  }, 20);
  clock.clearTimeout(c);
  assert.equal(clock.pending, 3);
  clock.advance(19);
  assert.deepEqual(ran, [['a', 10]]);
  assert.equal(clock.now(), 19);
  clock.advance(5);
  assert.deepEqual(ran, [['a', 10], ['b', 20], ['d', 20], ['e', 21]], 'a timer set while advancing runs when due');
  assert.equal(clock.now(), 24);
  assert.equal(clock.pending, 0);
});

test('clock — delays are clamped to the platform limit, never overflowed into firing at once', () => {
  assert.equal(safeDelay(MAX_TIMER_MS * 3), MAX_TIMER_MS);
  assert.equal(safeDelay(Number.POSITIVE_INFINITY), MAX_TIMER_MS);
  assert.equal(safeDelay(-5), 0);
  assert.equal(safeDelay(Number.NaN), 0);
  const clock = createSimulatedClock(0);
  let ran = false;
  clock.setTimeout(() => {
    ran = true;
  }, MAX_TIMER_MS * 3);
  clock.advance(MAX_TIMER_MS - 1);
  assert.equal(ran, false);
  clock.advance(1);
  assert.equal(ran, true);
});

test('clock — system timers do not keep the process alive; the kernel’s process clock timers do', () => {
  const background = systemClock.setTimeout(() => {}, 60_000) as NodeJS.Timeout;
  const kernel = processClock.setTimeout(() => {}, 60_000) as NodeJS.Timeout;
  try {
    assert.equal(background.hasRef(), false);
    assert.equal(kernel.hasRef(), true);
  } finally {
    systemClock.clearTimeout(background);
    processClock.clearTimeout(kernel);
  }
});

test('clock — with many timers set and cleared, the simulated clock runs exactly the live ones, in order', () => {
  const clock = createSimulatedClock(0);
  const ran: number[] = [];
  const handles = Array.from({ length: 1000 }, (_, i) => clock.setTimeout(() => ran.push(i), 1000 - i));
  for (let i = 0; i < 1000; i++) if (i % 4 !== 0) clock.clearTimeout(handles[i]);
  assert.equal(clock.pending, 250);
  clock.advance(1000);
  assert.deepEqual(ran, Array.from({ length: 250 }, (_, k) => 996 - 4 * k));
  assert.equal(clock.pending, 0);
});
