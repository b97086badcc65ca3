import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { processClock } from '../../src/actors/clock.ts';
import { MicroError } from '../../src/mesh/errors.ts';
import type { SyncBackend } from '../../src/mesh/sync/backend.ts';
import { createSync } from '../../src/mesh/sync/locks.ts';
import type { Leadership, Sync } from '../../src/mesh/sync/sync.ts';
import { waitUntil } from '../support/wait.ts';

/** A back end shared by every Sync of one test (as processes share a server), and how to remove what it wrote. */
export interface SyncUnderTest {
  readonly backend: SyncBackend;
  readonly cleanup?: () => Promise<void>;
}

/** One Sync's view of the back end: it counts calls and can stop renewing, as a paused process would. */
interface Contender {
  readonly sync: Sync;
  readonly calls: { acquire: number; renew: number };
  /** Renewals hang from now on (until the Sync's call deadline). */
  pause(): void;
}

function contender(backend: SyncBackend): Contender {
  const calls = { acquire: 0, renew: 0 };
  let paused = false;
  const view: SyncBackend = {
    name: backend.name,
    acquire: (id, holder, ttlMs) => {
      calls.acquire++;
      return backend.acquire(id, holder, ttlMs);
    },
    renew: (id, token, ttlMs) => {
      calls.renew++;
      return paused ? new Promise(() => {}) : backend.renew(id, token, ttlMs);
    },
    release: (id, token) => backend.release(id, token),
    close: async () => {},
  };
  const sync = createSync(view, { clock: processClock, retryMs: 10, timeoutMs: 1000 });
  return { sync, calls, pause: () => void (paused = true) };
}

/** Waits until `check` holds, failing after `timeoutMs`. */
function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  return waitUntil(check, timeoutMs, what);
}

const isReason = (reason: string, code: number) => (err: unknown) => err instanceof MicroError && err.reason === reason && err.code === code;

/**
 * The sync contract, run against each back end with real time and short TTLs. Each test gets a fresh back end from
 * `factory`; back ends on a shared server must give each test its own table or key prefix.
 */
export function describeSync(name: string, factory: () => Promise<SyncUnderTest | undefined>): void {
  const withSync = (fn: (make: () => Contender, backend: SyncBackend) => Promise<void>) => async (ctx: { skip(message?: string): void }) => {
    const under = await factory();
    if (under === undefined) return ctx.skip(`${name} is not reachable`);
    const made: Contender[] = [];
    try {
      await fn(() => {
        const c = contender(under.backend);
        made.push(c);
        return c;
      }, under.backend);
    } finally {
      for (const c of made) await c.sync.close();
      await under.backend.close();
      await under.cleanup?.();
    }
  };

  describe(`sync conformance — ${name}`, { timeout: 60_000 }, () => {
    test('sync — lock then release; the next lock gets a greater token', withSync(async (make) => {
      const { sync } = make();
      const lease = await sync.lock('job', { ttlMs: 5000 });
      assert.equal(lease.id, 'job');
      assert.ok(Number.isInteger(lease.token) && lease.token >= 1);
      assert.equal(lease.lost, false);
      assert.equal(await lease.release(), true);
      assert.equal(lease.lost, true);
      const again = await sync.lock('job', { ttlMs: 5000, waitMs: 0 });
      assert.ok(again.token > lease.token);
      assert.equal(await again.release(), true);
    }));

    test('sync — a second acquirer waits, and gets the lock once it is released', withSync(async (make) => {
      const a = make();
      const b = make();
      const first = await a.sync.lock('shared', { ttlMs: 5000 });
      const second = b.sync.lock('shared', { ttlMs: 5000, waitMs: 10_000 });
      await until('the second acquirer to try twice', () => b.calls.acquire >= 2);
      assert.equal(first.lost, false);
      await first.release();
      const lease = await second;
      assert.ok(lease.token > first.token);
      await lease.release();
    }));

    test('sync — waitMs elapses: LOCK_TIMEOUT (408) naming the lock', withSync(async (make) => {
      const holder = await make().sync.lock('busy', { ttlMs: 5000 });
      const started = performance.now();
      await assert.rejects(make().sync.lock('busy', { waitMs: 150 }), (err: unknown) => {
        assert.ok(isReason('LOCK_TIMEOUT', 408)(err));
        assert.match((err as MicroError).detail, /busy/);
        return true;
      });
      assert.ok(performance.now() - started >= 145, 'it waited waitMs');
      await assert.rejects(make().sync.lock('busy', { waitMs: 0 }), isReason('LOCK_TIMEOUT', 408));
      await holder.release();
    }));

    test('sync — fencing tokens strictly increase across holders', withSync(async (make) => {
      const syncs = [make().sync, make().sync, make().sync];
      const tokens: number[] = [];
      for (let i = 0; i < 9; i++) {
        const lease = await (syncs[i % 3] as Sync).lock('fenced', { ttlMs: 5000 });
        tokens.push(lease.token);
        await lease.release();
      }
      for (let i = 1; i < tokens.length; i++) assert.ok((tokens[i] as number) > (tokens[i - 1] as number), `tokens ${tokens.join(', ')}`);
      const other = await syncs[0]?.lock('another-id', { ttlMs: 5000 });
      assert.ok(other !== undefined && other.token >= 1);
    }));

    test('sync — renewal keeps a lease well past its ttl', withSync(async (make) => {
      const a = make();
      // A ttl long enough that a busy machine (the whole suite runs in parallel) still renews in time.
      const lease = await a.sync.lock('kept', { ttlMs: 1200 });
      await until('four renewals', () => a.calls.renew >= 4);
      assert.equal(lease.lost, false);
      await assert.rejects(make().sync.lock('kept', { waitMs: 0 }), isReason('LOCK_TIMEOUT', 408));
      assert.equal(await lease.release(), true);
    }));

    test('sync — a holder that stops renewing loses the lock after its ttl, and its onLost fires', withSync(async (make) => {
      const a = make();
      const lease = await a.sync.lock('paused', { ttlMs: 400 });
      const lost = new Promise<Error>((resolve) => lease.onLost(resolve));
      a.pause();
      const taken = await make().sync.lock('paused', { ttlMs: 5000, waitMs: 5000 });
      assert.ok(taken.token > lease.token);
      const reason = await lost;
      assert.ok(reason instanceof MicroError);
      assert.equal(lease.lost, true);
      const late = await new Promise<Error>((resolve) => lease.onLost(resolve));
      assert.equal(late, reason, 'an onLost added after the loss runs too');
      await taken.release();
    }));

    test('sync — a stale holder frees nothing: the new holder keeps the lock', withSync(async (make, backend) => {
      const a = make();
      const stale = await a.sync.lock('stale', { ttlMs: 300 });
      a.pause();
      const fresh = await make().sync.lock('stale', { ttlMs: 5000, waitMs: 5000 });
      assert.equal(await backend.release('stale', stale.token), false, 'the back end refuses the stale token');
      assert.equal(await backend.renew('stale', stale.token, 5000), false, 'and its renewal');
      assert.equal(await stale.release(), false);
      await assert.rejects(make().sync.lock('stale', { waitMs: 0 }), isReason('LOCK_TIMEOUT', 408));
      assert.equal(fresh.lost, false);
      assert.equal(await fresh.release(), true);
    }));

    test('sync — elect gives one leader among contenders; resign hands over', withSync(async (make) => {
      const contenders = [make(), make(), make(), make()];
      const leaders: Leadership[] = [];
      // allSettled at once: a campaign that fails after a failed assertion is still a handled rejection.
      const campaigns = Promise.allSettled(contenders.map((c) => c.sync.elect('scheduler', { ttlMs: 5000 }).then((l) => void leaders.push(l))));
      await until('a leader', () => leaders.length === 1);
      await until('every other contender to campaign twice', () => contenders.filter((c) => c.calls.acquire >= 2).length === contenders.length - 1);
      assert.equal(leaders.length, 1, 'one leader while it leads');
      for (let round = 1; round < contenders.length; round++) {
        const current = leaders[round - 1] as Leadership;
        await current.resign();
        await until(`leader ${round + 1}`, () => leaders.length === round + 1);
        assert.ok((leaders[round] as Leadership).token > current.token);
      }
      assert.ok((await campaigns).every((r) => r.status === 'fulfilled'));
      assert.equal(leaders.length, contenders.length);
      await leaders.at(-1)?.resign();
    }));

    test('sync — a campaign aborted by its signal rejects with CANCELLED (499)', withSync(async (make) => {
      const leader = await make().sync.elect('aborted');
      const controller = new AbortController();
      const campaign = make().sync.elect('aborted', { signal: controller.signal });
      controller.abort();
      await assert.rejects(campaign, isReason('CANCELLED', 499));
      await leader.resign();
    }));

    test('sync — a bad lock id or ttl is BAD_REQUEST (400)', withSync(async (make) => {
      const { sync } = make();
      await assert.rejects(sync.lock(''), isReason('BAD_REQUEST', 400));
      await assert.rejects(sync.lock('x'.repeat(257)), isReason('BAD_REQUEST', 400));
      await assert.rejects(sync.lock('ok', { ttlMs: 0 }), isReason('BAD_REQUEST', 400));
    }));
  });
}
