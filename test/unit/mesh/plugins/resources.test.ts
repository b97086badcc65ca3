import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { createPluginResources } from '../../../../src/mesh/plugins/resources.ts';
import { deferred, flush } from './fakes.ts';

/** A fake connection per open, numbered, with the order of opens and closes. */
function engine() {
  const log: string[] = [];
  let n = 0;
  return {
    log,
    open: (key: string) => () => {
      const conn = { id: `${key}#${++n}` };
      log.push(`open ${conn.id}`);
      return conn;
    },
    close: (conn: { id: string }) => {
      log.push(`close ${conn.id}`);
    },
  };
}

const isClosed = (err: unknown) => err instanceof MicroError && err.reason === 'UNAVAILABLE' && /plugins are closed/.test(err.message);

describe('plugin resources', () => {
  test('plugin resources — the first acquire opens, later ones share it, the last release closes it', async () => {
    const resources = createPluginResources();
    const e = engine();
    const a = await resources.acquire('nats', e.open('nats'), e.close);
    const b = await resources.acquire('nats', e.open('nats'), e.close);
    assert.equal(a.value, b.value);
    assert.deepEqual(resources.held(), [{ key: 'nats', holders: 2 }]);
    await a.release();
    assert.deepEqual(e.log, ['open nats#1'], 'still held by b');
    await b.release();
    assert.deepEqual(e.log, ['open nats#1', 'close nats#1']);
    assert.deepEqual(resources.held(), []);
  });

  test('plugin resources — different keys are different resources', async () => {
    const resources = createPluginResources();
    const e = engine();
    const a = await resources.acquire('nats://a', e.open('a'), e.close);
    const b = await resources.acquire('nats://b', e.open('b'), e.close);
    assert.notEqual(a.value, b.value);
    await a.release();
    assert.deepEqual(e.log, ['open a#1', 'open b#2', 'close a#1']);
    await resources.close();
  });

  test('plugin resources — concurrent first acquires share one open', async () => {
    const resources = createPluginResources();
    const gate = deferred<{ id: string }>();
    let opens = 0;
    const open = () => {
      opens++;
      return gate.promise;
    };
    const pending = [resources.acquire('k', open, () => {}), resources.acquire('k', open, () => {}), resources.acquire('k', open, () => {})];
    await flush();
    gate.resolve({ id: 'only' });
    const leases = await Promise.all(pending);
    assert.equal(opens, 1);
    assert.ok(leases.every((l) => l.value === leases[0].value));
    assert.deepEqual(resources.held(), [{ key: 'k', holders: 3 }]);
    await resources.close();
  });

  test('plugin resources — releasing one lease twice counts once', async () => {
    const resources = createPluginResources();
    const e = engine();
    const a = await resources.acquire('k', e.open('k'), e.close);
    const b = await resources.acquire('k', e.open('k'), e.close);
    await a.release();
    await a.release();
    assert.deepEqual(e.log, ['open k#1'], 'b still holds it');
    await b.release();
    assert.deepEqual(e.log, ['open k#1', 'close k#1']);
  });

  test('plugin resources — a failed open rejects every waiter and is not cached', async () => {
    const resources = createPluginResources();
    const gate = deferred<{ id: string }>();
    let opens = 0;
    const failing = () => {
      opens++;
      return gate.promise;
    };
    const waiters = [resources.acquire('k', failing, () => {}), resources.acquire('k', failing, () => {})];
    await flush();
    const refused = new Error('connect ECONNREFUSED');
    gate.reject(refused);
    for (const w of waiters) await assert.rejects(w, (err) => err === refused);
    assert.deepEqual(resources.held(), []);
    const e = engine();
    const lease = await resources.acquire('k', e.open('k'), e.close);
    assert.equal(opens, 1);
    assert.deepEqual(e.log, ['open k#1'], 'the next acquire opens again');
    await lease.release();
  });

  test('plugin resources — an open that throws synchronously rejects, it does not throw', async () => {
    const resources = createPluginResources();
    const pending = resources.acquire('k', () => {
      throw new Error('bad url');
    }, () => {});
    await assert.rejects(pending, /bad url/);
    assert.deepEqual(resources.held(), []);
  });

  test('plugin resources — an open after the last release waits until the old one is closed', async () => {
    const resources = createPluginResources();
    const closing = deferred();
    const log: string[] = [];
    const first = await resources.acquire('k', () => 'one', async () => {
      log.push('closing one');
      await closing.promise;
      log.push('closed one');
    });
    const released = first.release();
    const second = resources.acquire('k', () => {
      log.push('open two');
      return 'two';
    }, () => {});
    await flush();
    assert.deepEqual(log, ['closing one']);
    closing.resolve();
    await released;
    assert.equal((await second).value, 'two');
    assert.deepEqual(log, ['closing one', 'closed one', 'open two']);
    await resources.close();
  });

  test('plugin resources — close closes everything still held, newest first, and refuses later acquires', async () => {
    const resources = createPluginResources();
    const e = engine();
    const a = await resources.acquire('a', e.open('a'), e.close);
    await resources.acquire('a', e.open('a'), e.close);
    await resources.acquire('b', e.open('b'), e.close);
    await resources.close();
    assert.deepEqual(e.log, ['open a#1', 'open b#2', 'close b#2', 'close a#1']);
    assert.deepEqual(resources.held(), []);
    await a.release();
    assert.equal(e.log.length, 4, 'a release after close closes nothing twice');
    await assert.rejects(resources.acquire('a', e.open('a'), e.close), isClosed);
    await resources.close();
  });

  test('plugin resources — a close while opening fails the waiter and closes the connection once open', async () => {
    const resources = createPluginResources();
    const gate = deferred<string>();
    const closed: string[] = [];
    const waiter = resources.acquire('k', () => gate.promise, (v) => {
      closed.push(v);
    });
    await flush();
    const closing = resources.close();
    gate.resolve('conn');
    await assert.rejects(waiter, isClosed);
    await closing;
    assert.deepEqual(closed, ['conn']);
  });

  test('plugin resources — close tries every resource and names the ones that failed, password hidden', async () => {
    const resources = createPluginResources();
    const closed: string[] = [];
    await resources.acquire('redis redis://:hunter2@127.0.0.1:6379', () => 'r', () => {
      throw new Error('socket hang up');
    });
    await resources.acquire('nats nats://127.0.0.1:4222', () => 'n', (v) => {
      closed.push(v);
    });
    await assert.rejects(resources.close(), (err) => {
      assert.ok(err instanceof MicroError);
      assert.equal(err.reason, 'INTERNAL');
      assert.match(err.message, /redis redis:\/\/:\*\*\*@127\.0\.0\.1:6379/);
      assert.doesNotMatch(err.message, /hunter2|nats/);
      assert.ok(err.cause instanceof AggregateError);
      return true;
    });
    assert.deepEqual(closed, ['n']);
  });
});
