import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatAddress, parseAddress } from '../../../src/actors/index.ts';
import { Deque } from '../../../src/actors/deque.ts';

test('address — format and parse round-trip, with and without incarnation', () => {
  assert.equal(formatAddress('n1', '/user/a/b', 7), 'mesh://n1/user/a/b#7');
  assert.deepEqual(parseAddress('mesh://n1/user/a/b#7'), { nodeId: 'n1', path: '/user/a/b', incarnation: 7 });
  assert.deepEqual(parseAddress('mesh://n1/user/a'), { nodeId: 'n1', path: '/user/a' });
});

test('address — anything malformed parses to undefined, never throws', () => {
  for (const bad of ['', 'http://x/y', 'mesh://', 'mesh:///user', 'mesh://n/user/a#x', 'mesh://n/user//a', 'mesh://n/user/a#-1', 'mesh://n/us er']) {
    assert.equal(parseAddress(bad), undefined, bad);
  }
  assert.equal(parseAddress(42 as unknown as string), undefined);
});

test('deque — FIFO across growth and wrap-around, metas stay paired', () => {
  const q = new Deque<number, string>(4);
  const out: Array<[number, string | undefined]> = [];
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < round % 7; i++) q.push(round * 10 + i, `m${round * 10 + i}`);
    for (let i = 0; i < (round % 5) && q.length > 0; i++) {
      const v = q.shift() as number;
      out.push([v, q.lastMeta]);
    }
  }
  q.drain((v, m) => out.push([v, m]));
  assert.ok(out.every(([v, m]) => m === `m${v}`));
  const values = out.map(([v]) => v);
  assert.deepEqual(values, [...values].sort((a, b) => a - b));
  assert.equal(q.length, 0);
});
