import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RegistryNode } from '../../../../src/mesh/registry/registry.ts';
import { createSelector } from '../../../../src/mesh/selector/selector.ts';
import { nodes, seeded } from './support.ts';

const keys = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);

function assign(list: readonly RegistryNode[], selector = createSelector('hash', { random: seeded(1) })): Map<string, string> {
  const owner = new Map<string, string>();
  for (const key of keys) owner.set(key, selector.select(list, { key })?.id as string);
  return owner;
}

describe('hash selector', () => {
  test('hash selector — the same key always goes to the same node, in any selector instance', () => {
    const five = nodes(5);
    const first = assign(five);
    const again = assign(five, createSelector('hash', { random: seeded(99) }));
    assert.deepEqual(again, first);
  });

  test('hash selector — keys spread over the nodes within bounds (virtual nodes on the ring)', () => {
    const counts = new Map<string, number>();
    for (const id of assign(nodes(5)).values()) counts.set(id, (counts.get(id) ?? 0) + 1);
    assert.equal(counts.size, 5);
    for (const [id, n] of counts) assert.ok(n > 1_400 && n < 2_600, `${id} owns ${n} of 10000 keys`);
  });

  test('hash selector — removing a node remaps only the keys it owned', () => {
    const five = nodes(5);
    const before = assign(five);
    const after = assign(five.filter((n) => n.id !== 'node-2'));
    let moved = 0;
    for (const key of keys) {
      if (before.get(key) === 'node-2') {
        assert.notEqual(after.get(key), 'node-2');
        moved++;
      } else {
        assert.equal(after.get(key), before.get(key), `${key} moved although its node stayed`);
      }
    }
    assert.ok(moved > 1_000, `${moved} keys were node-2's`);
  });

  test('hash selector — adding a node moves keys only onto the new node', () => {
    const before = assign(nodes(4));
    const after = assign(nodes(5));
    let taken = 0;
    for (const key of keys) {
      if (after.get(key) === before.get(key)) continue;
      assert.equal(after.get(key), 'node-4');
      taken++;
    }
    assert.ok(taken > 1_000 && taken < 3_000, `the new node took ${taken} keys`);
  });

  test('hash selector — excluding a key\'s node sends it to the next owner on the ring, the one it gets if that node leaves', () => {
    const five = nodes(5);
    const selector = createSelector('hash', { random: seeded(1) });
    const without = five.filter((n) => n.id !== 'node-3');
    for (const key of keys.slice(0, 2_000)) {
      const owner = selector.select(five, { key }) as RegistryNode;
      const retry = selector.select(five, { key, exclude: new Set([owner.id]) });
      assert.notEqual(retry?.id, owner.id);
      if (owner.id === 'node-3') assert.equal(retry?.id, selector.select(without, { key })?.id);
    }
  });

  test('hash selector — a node\'s new address is picked up for the same ids', () => {
    const selector = createSelector('hash');
    const first = nodes(3);
    const key = 'sticky';
    const owner = selector.select(first, { key }) as RegistryNode;
    const moved = first.map((n) => ({ ...n, address: `${n.address}-moved` }));
    const again = selector.select(moved, { key });
    assert.equal(again?.id, owner.id);
    assert.equal(again?.address, `${owner.address}-moved`);
  });

  test('hash selector — without a key it picks at random', () => {
    const selector = createSelector('hash', { random: seeded(4) });
    const picks = new Set(Array.from({ length: 100 }, () => selector.select(nodes(4))?.id));
    assert.equal(picks.size, 4);
  });
});
