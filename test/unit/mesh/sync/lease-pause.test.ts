import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Clock } from '../../../../src/actors/clock.ts';
import { createSync } from '../../../../src/mesh/sync/locks.ts';
import { MemorySyncBackend } from '../../../../src/mesh/sync/memory.ts';

/** A clock whose timers never run, as in a process whose event loop stopped; `now` moves when the test says. */
function frozenLoop(start: number): Clock & { jump(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    setTimeout: () => ({}),
    clearTimeout: () => {},
    jump(ms: number) {
      now += ms;
    },
  } as unknown as Clock & { jump(ms: number): void };
}

test('lease — a holder that wakes after a pause past its ttl sees the lease lost, and its onLost runs, before any timer has run', async () => {
  const clock = frozenLoop(1_000_000);
  const backend = new MemorySyncBackend(clock);
  const sync = createSync(backend, { clock, holder: 'paused' });
  const lease = await sync.lock('job', { ttlMs: 1000 });
  const lost: string[] = [];
  lease.onLost((reason) => lost.push(reason.message));
  clock.jump(999);
  assert.equal(lease.lost, false, 'still within its ttl');
  clock.jump(1);
  assert.equal(lease.lost, true, 'a whole ttl without a confirmed renewal');
  assert.equal(lost.length, 1, 'onLost ran synchronously, before the holder could act');
  assert.match(lost[0] as string, /did not confirm the lease within its ttl/);
  // Someone else can take it now, with a greater fencing token.
  const other = createSync(backend, { clock, holder: 'other' });
  const next = await other.lock('job', { ttlMs: 1000, waitMs: 0 });
  assert.ok(next.token > lease.token);
});
