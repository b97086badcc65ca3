import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { MicroError } from '../../src/mesh/errors.ts';
import { jsonBytes, readJson, readText, type Store } from '../../src/mesh/store/store.ts';
import { eventually } from '../support/wait.ts';

/** A store to test, and how its time passes: `advance` for a simulated clock, else TTL tests wait on real time. */
export interface StoreUnderTest {
  readonly store: Store;
  /** Moves the back end's clock forward. @default undefined (a real clock: wait with a deadline) */
  readonly advance?: (ms: number) => void;
  /** Removes what the test wrote (a table, keys) after `store.close()`. @default nothing */
  readonly cleanup?: () => Promise<void>;
}

/**
 * The store contract, run against each back end. Each test gets a fresh store from `factory`; back ends shared
 * between runs (PostgreSQL, Redis) must give each one its own table or key prefix.
 */
export function describeStore(name: string, factory: () => Promise<StoreUnderTest | undefined>): void {
  const withStore = (fn: (s: Store, t: StoreUnderTest) => Promise<void>) => async (ctx: { skip(message?: string): void }) => {
    const under = await factory();
    if (under === undefined) return ctx.skip(`${name} is not reachable`);
    try {
      await fn(under.store, under);
    } finally {
      await under.store.close();
      await under.cleanup?.();
    }
  };

  describe(`store conformance — ${name}`, { timeout: 60_000 }, () => {
    test('store — a missing key is NOT_FOUND (404) naming it', withStore(async (s) => {
      await assert.rejects(s.read('nobody-wrote-this'), (err: unknown) => {
        assert.ok(err instanceof MicroError);
        assert.equal(err.reason, 'NOT_FOUND');
        assert.equal(err.code, 404);
        assert.match(err.detail, /nobody-wrote-this/);
        return true;
      });
    }));

    test('store — write then read gives the record, each write one revision more', withStore(async (s) => {
      const first = await s.write({ key: 'user/1', value: 'Ada', metadata: { kind: 'user' } });
      assert.equal(first.revision, 1);
      const read = await s.read('user/1');
      assert.equal(readText(read), 'Ada');
      assert.deepEqual(read.metadata, { kind: 'user' });
      assert.equal(read.revision, 1);
      assert.equal(read.expiresAt, undefined);
      const second = await s.write({ key: 'user/1', value: 'Grace' });
      assert.equal(second.revision, 2);
      assert.equal(readText(await s.read('user/1')), 'Grace');
      assert.deepEqual((await s.read('user/1')).metadata, {});
    }));

    test('store — prefix and suffix, with limit and offset, in key order', withStore(async (s) => {
      for (const key of ['a/3', 'a/1', 'a/5', 'a/2', 'a/4', 'b/1', 'a.json', 'b.json', 'ab']) await s.write({ key, value: key });
      const keysOf = (records: Array<{ key: string }>) => records.map((r) => r.key);
      assert.deepEqual(keysOf(await s.read({ prefix: 'a/' })), ['a/1', 'a/2', 'a/3', 'a/4', 'a/5']);
      assert.deepEqual(keysOf(await s.read({ prefix: 'a/', limit: 2, offset: 1 })), ['a/2', 'a/3']);
      assert.deepEqual(keysOf(await s.read({ prefix: 'a/', offset: 4 })), ['a/5']);
      assert.deepEqual(keysOf(await s.read({ prefix: 'a/', offset: 9 })), []);
      assert.deepEqual(keysOf(await s.read({ suffix: '.json' })), ['a.json', 'b.json']);
      assert.deepEqual(keysOf(await s.read({ prefix: 'a', suffix: 'json' })), ['a.json']);
      assert.deepEqual(keysOf(await s.read({ suffix: '/1', limit: 1 })), ['a/1']);
      assert.deepEqual(keysOf(await s.read({ prefix: 'zzz' })), []);
      const values = (await s.read({ prefix: 'b' })).map(readText);
      assert.deepEqual(values, ['b.json', 'b/1']);
      // Characters that are wildcards in SQL LIKE and Redis MATCH are plain text in a prefix.
      await s.write({ key: '%_*?[x]\\', value: 'odd' });
      assert.deepEqual(await s.list({ prefix: '%_*?[' }), ['%_*?[x]\\']);
      assert.deepEqual(await s.list({ prefix: '%' , suffix: ']\\' }), ['%_*?[x]\\']);
    }));

    test('store — a record with a TTL expires, one without stays', withStore(async (s, t) => {
      const written = await s.write({ key: 'session', value: 'x', ttlMs: 200 });
      assert.ok(written.expiresAt !== undefined);
      await s.write({ key: 'kept', value: 'y' });
      await s.write({ key: 'long', value: 'z', ttlMs: 60_000 });
      if (t.advance !== undefined) {
        t.advance(100);
        assert.equal(readText(await s.read('session')), 'x');
        t.advance(150);
      }
      await eventually(() => assert.rejects(s.read('session'), isReason('NOT_FOUND')));
      assert.deepEqual(await s.list(), ['kept', 'long']);
      assert.equal(readText(await s.read('long')), 'z');
      // A key written again after it expired starts over, and is visible.
      await s.write({ key: 'session', value: 'again' });
      assert.equal(readText(await s.read('session')), 'again');
    }));

    test('store — scopes are isolated by database and table', withStore(async (s) => {
      const orders = s.scope({ table: 'orders' });
      const users = s.scope({ table: 'users' });
      const otherDb = s.scope({ database: `${s.database}-2`, table: 'orders' });
      assert.equal(orders.database, s.database);
      assert.equal(orders.table, 'orders');
      await orders.write({ key: 'k', value: 'order' });
      await users.write({ key: 'k', value: 'user' });
      await otherDb.write({ key: 'k', value: 'other' });
      assert.equal(readText(await orders.read('k')), 'order');
      assert.equal(readText(await users.read('k')), 'user');
      assert.equal(readText(await otherDb.read('k')), 'other');
      await assert.rejects(s.read('k'), isReason('NOT_FOUND'));
      assert.equal(await users.delete('k'), true);
      assert.equal(readText(await orders.read('k')), 'order');
      assert.deepEqual(await users.list(), []);
      assert.deepEqual(await orders.list(), ['k']);
      await orders.delete('k');
      await otherDb.delete('k');
      assert.throws(() => s.scope({ table: 'no/slashes' }), isReason('BAD_REQUEST'));
    }));

    test('store — values round-trip byte for byte: bytes, unicode, JSON, empty, 1 MiB', withStore(async (s) => {
      const everyByte = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const big = randomBytes(1024 * 1024);
      const text = 'naïve café — 日本語 😀 \u0000 end';
      await s.write({ key: 'bytes', value: everyByte });
      await s.write({ key: 'big', value: big });
      await s.write({ key: 'text', value: text });
      await s.write({ key: 'json', value: jsonBytes({ n: 1, list: [true, null, 'ü'] }) });
      await s.write({ key: 'empty', value: new Uint8Array(0) });
      await s.write({ key: 'ключ/😀', value: 'unicode key', metadata: { note: 'é 😀' } });
      assert.deepEqual(Buffer.from((await s.read('bytes')).value), everyByte);
      assert.ok(Buffer.from((await s.read('big')).value).equals(big));
      assert.equal(readText(await s.read('text')), text);
      assert.deepEqual(Buffer.from((await s.read('text')).value), Buffer.from(text, 'utf8'));
      assert.deepEqual(readJson(await s.read('json')), { n: 1, list: [true, null, 'ü'] });
      assert.equal((await s.read('empty')).value.length, 0);
      const unicode = await s.read('ключ/😀');
      assert.equal(readText(unicode), 'unicode key');
      assert.deepEqual(unicode.metadata, { note: 'é 😀' });
      assert.deepEqual(await s.list({ prefix: 'ключ/' }), ['ключ/😀']);
    }));

    test('store — 1000 concurrent writes to distinct keys are all readable after', withStore(async (s) => {
      const keys = Array.from({ length: 1000 }, (_, i) => `c/${String(i).padStart(4, '0')}`);
      const written = await Promise.all(keys.map((key) => s.write({ key, value: `v${key}` })));
      assert.ok(written.every((r) => r.revision === 1));
      const records = await s.read({ prefix: 'c/' });
      assert.deepEqual(records.map((r) => r.key), keys);
      assert.ok(records.every((r) => readText(r) === `v${r.key}`));
      assert.equal((await s.list({ prefix: 'c/', offset: 990 })).length, 10);
    }));

    test('store — concurrent writes to one key each get their own revision, and the last one read is the highest', withStore(async (s) => {
      await s.write({ key: 'hot', value: 'w0', metadata: { n: '0' } });
      const writes = await Promise.all(Array.from({ length: 20 }, (_, i) => s.write({ key: 'hot', value: `w${i + 1}`, metadata: { n: String(i + 1) } })));
      assert.deepEqual(writes.map((w) => w.revision).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 2));
      const read = await s.read('hot');
      assert.equal(read.revision, 21);
      // Value and metadata are those of one and the same write.
      const last = writes.find((w) => w.revision === 21);
      assert.equal(readText(read), readText(last as { value: Uint8Array }));
      assert.equal(read.metadata.n, readText(read).slice(1));
    }));

    test('store — ifRevision writes only over that revision, else CONFLICT (409)', withStore(async (s) => {
      const created = await s.write({ key: 'cas', value: 'one' }, { ifRevision: 0 });
      assert.equal(created.revision, 1);
      await assert.rejects(s.write({ key: 'cas', value: 'again' }, { ifRevision: 0 }), isReason('CONFLICT', 409));
      const updated = await s.write({ key: 'cas', value: 'two' }, { ifRevision: 1 });
      assert.equal(updated.revision, 2);
      await assert.rejects(s.write({ key: 'cas', value: 'stale' }, { ifRevision: 1 }), (err: unknown) => {
        assert.ok(err instanceof MicroError && err.reason === 'CONFLICT' && err.code === 409);
        assert.match(err.detail, /expected revision 1/);
        return true;
      });
      await assert.rejects(s.write({ key: 'missing', value: 'x' }, { ifRevision: 3 }), isReason('CONFLICT', 409));
      assert.equal(readText(await s.read('cas')), 'two');
      await assert.rejects(s.read('missing'), isReason('NOT_FOUND'));
      // Of many racing writers holding one revision, exactly one wins.
      const racers = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => s.write({ key: 'cas', value: `r${i}` }, { ifRevision: 2 })));
      assert.equal(racers.filter((r) => r.status === 'fulfilled').length, 1);
      assert.equal((await s.read('cas')).revision, 3);
    }));

    test('store — a fenced write refuses a token smaller than one already written (409), racing writers included', withStore(async (s) => {
      await s.write({ key: 'fenced', value: 'by 5' }, { fencingToken: 5 });
      assert.equal((await s.read('fenced')).metadata['micro-fence'], '5');
      await s.write({ key: 'fenced', value: 'by 5 again' }, { fencingToken: 5 });
      await assert.rejects(s.write({ key: 'fenced', value: 'stale' }, { fencingToken: 4 }), (err: unknown) => {
        assert.ok(err instanceof MicroError && err.reason === 'CONFLICT' && err.code === 409);
        assert.match(err.detail, /fencing token 4, but it was written with 5/);
        return true;
      });
      assert.equal(readText(await s.read('fenced')), 'by 5 again');
      // Holders 1..8 race: whatever the order, the record ends with the greatest token's value.
      await Promise.allSettled(Array.from({ length: 8 }, (_, i) => s.write({ key: 'race', value: `t${i + 1}` }, { fencingToken: i + 1 })));
      const final = await s.read('race');
      assert.equal(readText(final), 't8');
      assert.equal(final.metadata['micro-fence'], '8');
    }));

    test('store — delete removes a key and says whether it existed', withStore(async (s) => {
      await s.write({ key: 'gone', value: 'x' });
      await s.write({ key: 'stays', value: 'y' });
      assert.equal(await s.delete('gone'), true);
      assert.equal(await s.delete('gone'), false);
      await assert.rejects(s.read('gone'), isReason('NOT_FOUND'));
      assert.deepEqual(await s.list(), ['stays']);
      const again = await s.write({ key: 'gone', value: 'back' });
      assert.equal(readText(await s.read('gone')), 'back');
      assert.equal(again.revision, 1);
    }));

    test('store — list gives keys in order, with prefix, limit and offset', withStore(async (s) => {
      assert.deepEqual(await s.list(), []);
      for (const key of ['b', 'a', 'c/2', 'c/1', 'B']) await s.write({ key, value: '' });
      assert.deepEqual(await s.list(), ['B', 'a', 'b', 'c/1', 'c/2']);
      assert.deepEqual(await s.list({ prefix: 'c/' }), ['c/1', 'c/2']);
      assert.deepEqual(await s.list({ limit: 2, offset: 1 }), ['a', 'b']);
      assert.deepEqual(await s.list({ limit: 0 }), []);
    }));

    test('store — bad input is BAD_REQUEST (400): a key over the limit names the limit', withStore(async (s) => {
      await assert.rejects(s.write({ key: 'k'.repeat(100_000), value: 'x' }), (err: unknown) => {
        assert.ok(err instanceof MicroError && err.reason === 'BAD_REQUEST' && err.code === 400);
        assert.match(err.detail, /key is 100000 bytes, over the limit of \d+ bytes/);
        return true;
      });
      await assert.rejects(s.read('k'.repeat(100_000)), isReason('BAD_REQUEST', 400));
      await assert.rejects(s.write({ key: '', value: 'x' }), isReason('BAD_REQUEST', 400));
      await assert.rejects(s.write({ key: 'n', value: 42 as unknown as string }), isReason('BAD_REQUEST', 400));
      await assert.rejects(s.write({ key: 'n', value: 'x', ttlMs: -1 }), isReason('BAD_REQUEST', 400));
      await assert.rejects(s.list({ limit: 1.5 }), isReason('BAD_REQUEST', 400));
      assert.deepEqual(await s.list(), []);
    }));
  });
}

function isReason(reason: string, code?: number) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof MicroError, `expected a MicroError, got ${String(err)}`);
    assert.equal(err.reason, reason);
    if (code !== undefined) assert.equal(err.code, code);
    return true;
  };
}

