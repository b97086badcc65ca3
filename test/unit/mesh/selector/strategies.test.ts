import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { createSelector, type Selector, type SelectorStrategy } from '../../../../src/mesh/selector/selector.ts';
import { nodes, seeded, tally } from './support.ts';

const strategies: SelectorStrategy[] = ['random', 'round-robin', 'least-inflight', 'hash'];

describe('selector strategies', () => {
  test('selector — random spreads picks evenly (bounded counts, seeded)', () => {
    const selector = createSelector('random', { random: seeded(1) });
    const five = nodes(5);
    const counts = tally(10_000, () => selector.select(five));
    assert.equal(counts.size, 5);
    for (const [id, n] of counts) assert.ok(n > 1_850 && n < 2_150, `${id} picked ${n} times of 10000`);
  });

  test('selector — random is the default and is deterministic with an injected source', () => {
    const five = nodes(5);
    const a = createSelector(undefined, { random: seeded(7) });
    const b = createSelector('random', { random: seeded(7) });
    const picksA = Array.from({ length: 50 }, () => a.select(five)?.id);
    const picksB = Array.from({ length: 50 }, () => b.select(five)?.id);
    assert.deepEqual(picksA, picksB);
    assert.ok(new Set(picksA).size > 1);
  });

  test('selector — round-robin visits every node in turn, one cursor per service', () => {
    const selector = createSelector('round-robin', { random: seeded(3) });
    const three = nodes(3);
    const orders = Array.from({ length: 9 }, () => selector.select(three, { service: 'a' })?.id as string);
    const start = three.findIndex((n) => n.id === orders[0]);
    assert.deepEqual(orders, Array.from({ length: 9 }, (_, i) => three[(start + i) % 3].id));
    const other = selector.select(three, { service: 'b' });
    const nextA = selector.select(three, { service: 'a' });
    assert.equal(nextA?.id, three[(start + 9) % 3].id, 'service b did not move service a\'s cursor');
    assert.ok(other !== undefined);
  });

  test('selector — round-robin steps over excluded nodes and keeps rotating after them', () => {
    const selector = createSelector('round-robin', { random: () => 0 });
    const four = nodes(4);
    const picks = Array.from({ length: 6 }, () => selector.select(four, { exclude: new Set(['node-1']) })?.id);
    assert.deepEqual(picks, ['node-0', 'node-2', 'node-3', 'node-0', 'node-2', 'node-3']);
  });

  test('selector — least-inflight avoids a loaded node and returns to it once its calls finish', () => {
    const selector = createSelector('least-inflight', { random: seeded(11) });
    const four = nodes(4);
    for (let i = 0; i < 50; i++) selector.onStart?.('node-0');
    const busy = tally(1_000, () => selector.select(four));
    assert.equal(busy.get('node-0') ?? 0, 0);
    for (let i = 0; i < 50; i++) selector.onFinish?.('node-0', true);
    const idle = tally(1_000, () => selector.select(four));
    assert.ok((idle.get('node-0') ?? 0) > 150, `node-0 picked ${idle.get('node-0')} times once idle`);
  });

  test('selector — least-inflight (power of two choices) keeps in-flight counts level under load', () => {
    const selector = createSelector('least-inflight', { random: seeded(5) });
    const eight = nodes(8);
    const inflight = new Map<string, number>();
    for (let i = 0; i < 4_000; i++) {
      const node = selector.select(eight) as (typeof eight)[number];
      selector.onStart?.(node.id);
      inflight.set(node.id, (inflight.get(node.id) ?? 0) + 1);
    }
    const loads = [...inflight.values()];
    assert.equal(loads.length, 8);
    assert.ok(Math.max(...loads) - Math.min(...loads) <= 3, `loads ${loads.join(',')}`);
    const random = createSelector('random', { random: seeded(5) });
    const randomLoads = [...tally(4_000, () => random.select(eight)).values()];
    assert.ok(Math.max(...randomLoads) - Math.min(...randomLoads) > 20, 'random spreads worse, so the check above means something');
  });

  test('selector — least-inflight never lets a count go below zero', () => {
    const selector = createSelector('least-inflight', { random: seeded(2) });
    const two = nodes(2);
    selector.onFinish?.('node-0', false);
    selector.onStart?.('node-1');
    assert.equal(selector.select(two)?.id, 'node-0');
  });

  for (const strategy of strategies) {
    test(`selector — ${strategy}: exclude sends a retry to a different node; all excluded or none gives undefined`, () => {
      const selector = createSelector(strategy, { random: seeded(9) });
      const three = nodes(3);
      for (let i = 0; i < 50; i++) {
        const key = `user-${i}`;
        const first = selector.select(three, { key, service: 's' }) as (typeof three)[number];
        const retry = selector.select(three, { key, service: 's', exclude: new Set([first.id]) });
        assert.ok(retry !== undefined && retry.id !== first.id);
        assert.equal(selector.select(three, { key, exclude: new Set(['node-0', 'node-1']) })?.id, 'node-2');
      }
      assert.equal(selector.select(three, { key: 'k', exclude: new Set(['node-0', 'node-1', 'node-2']) }), undefined);
      assert.equal(selector.select([], { key: 'k' }), undefined);
      assert.equal(selector.select(nodes(1), { key: 'k' })?.id, 'node-0');
    });
  }

  test('selector — createSelector passes a custom selector through and rejects an unknown name', () => {
    const custom: Selector = { select: (list) => list[list.length - 1] };
    assert.equal(createSelector(custom), custom);
    assert.throws(() => createSelector('fastest' as SelectorStrategy), (err) => err instanceof MicroError && err.reason === 'BAD_REQUEST');
  });
});
