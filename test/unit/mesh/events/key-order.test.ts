import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { EventsBackend } from '../../../../src/mesh/events/events.ts';
import { createFileEvents } from '../../../../src/mesh/events/file.ts';
import { createMemoryEvents } from '../../../../src/mesh/events/memory.ts';
import { frontOf, until } from '../../../conformance/events.ts';

const KEYS = ['a', 'b', 'c'];
const PER_KEY = 12;

/**
 * Three members of one group, each running four handlers at once, share events of three keys: no two events of a key
 * run at the same time anywhere in the group, and each key's events are handled in publish order. A second group
 * reads the same events on its own.
 */
async function keyOrderAcrossMembers(backend: EventsBackend): Promise<void> {
  const front = frontOf(backend);
  try {
    const running = new Map<string, number>();
    const handled = new Map<string, number[]>(KEYS.map((k) => [k, []]));
    const overlaps: string[] = [];
    const members = new Set<number>();
    let other = 0;
    for (let member = 0; member < 3; member++) {
      await front.events.consume<{ key: string; n: number }>('orders.placed', { group: 'billing', concurrency: 4, prefetch: 8 }, async (e) => {
        const key = e.data.key;
        if ((running.get(key) ?? 0) > 0) overlaps.push(`${key}#${e.data.n}`);
        running.set(key, (running.get(key) ?? 0) + 1);
        members.add(member);
        // Later events of a key finish sooner (fewer turns of the event loop): only the gate keeps them in order.
        for (let turn = 0; turn < 6 - (e.data.n % 6); turn++) await new Promise((r) => setImmediate(r));
        (handled.get(key) as number[]).push(e.data.n);
        running.set(key, (running.get(key) ?? 0) - 1);
      });
    }
    await front.events.consume('orders.placed', { group: 'audit', concurrency: 8 }, () => void other++);
    for (let n = 0; n < PER_KEY; n++) for (const key of KEYS) await front.events.publish('orders.placed', { key, n }, { key });
    await until('every event handled by both groups', () => [...handled.values()].every((h) => h.length === PER_KEY) && other === PER_KEY * KEYS.length);
    assert.deepEqual(overlaps, [], 'no two events of one key ran at once');
    for (const key of KEYS) assert.deepEqual(handled.get(key), [...Array(PER_KEY).keys()], `key ${key} in publish order`);
    assert.ok(members.size > 1, 'the group spread its events over its members');
  } finally {
    await front.close();
  }
}

test('events (memory) — per-key order holds across the members of a group, each with concurrency > 1', () => keyOrderAcrossMembers(createMemoryEvents({ pollMs: 50 })));

test('events (file) — per-key order holds across the members of a group, each with concurrency > 1', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'micromesh-key-order-'));
  try {
    await keyOrderAcrossMembers(createFileEvents({ directory, pollMs: 50 }));
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});
