import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSimulatedClock } from '../../../../src/actors/clock.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';
import type { StoreBackend } from '../../../../src/mesh/store/backend.ts';
import { Deadlines } from '../../../../src/mesh/store/deadlines.ts';
import { createStore } from '../../../../src/mesh/store/scoped.ts';

/** A back end whose gets wait for the test to answer them. */
function heldBackend() {
  const answers: Array<(v: undefined) => void> = [];
  const backend: StoreBackend = {
    name: 'held',
    maxKeyBytes: 1024,
    get: () => new Promise((resolve) => answers.push(resolve)),
    query: async () => [],
    keys: async () => [],
    put: () => Promise.reject(new Error('socket closed')),
    remove: () => new Promise(() => {}),
    close: async () => {},
  };
  return { backend, answers };
}

test('store deadlines — a call past its timeoutMs fails UNAVAILABLE, the others settle as their back end does', async () => {
  const clock = createSimulatedClock(0);
  const { backend, answers } = heldBackend();
  const store = createStore(backend, { clock, timeoutMs: 100 });
  const first = store.read('a');
  clock.advance(50);
  const second = store.read('b');
  const short = store.delete('c', { timeoutMs: 10 });
  answers[1]?.(undefined); // b answers: not found
  await assert.rejects(second, (err: unknown) => err instanceof MicroError && err.reason === 'NOT_FOUND');
  clock.advance(10);
  await assert.rejects(short, (err: unknown) => err instanceof MicroError && err.reason === 'UNAVAILABLE' && /delete did not finish within 10 ms/.test(err.message));
  clock.advance(39);
  let settled = false;
  first.catch(() => {}).finally(() => (settled = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled, false, 'not due yet');
  clock.advance(1);
  await assert.rejects(first, (err: unknown) => err instanceof MicroError && err.reason === 'UNAVAILABLE' && /read did not finish within 100 ms/.test(err.message));
  answers[0]?.(undefined); // a late answer changes nothing
  await assert.rejects(store.write({ key: 'k', value: 'v' }), (err: unknown) => err instanceof MicroError && err.reason === 'UNAVAILABLE' && /write failed: socket closed/.test(err.message));
  await assert.rejects(store.read(''), (err: unknown) => err instanceof MicroError && err.reason === 'BAD_REQUEST');
  await assert.rejects(store.read('k', { timeoutMs: 0 }), (err: unknown) => err instanceof MicroError && err.reason === 'BAD_REQUEST');
});

test('store deadlines — one timer per distinct timeout in flight, and none once nothing is pending', async () => {
  const clock = createSimulatedClock(0);
  const deadlines = new Deadlines(clock);
  const never = new Promise<never>(() => {});
  const errors = { timedOut: (what: string, ms: number) => new Error(`${what} ${ms}`), failed: (_: string, e: unknown) => e, missing: (key: string) => new Error(`no ${key}`) };
  const calls = [100, 100, 100, 200].map((ms) => deadlines.run(never, ms, errors, 'call').catch((e: Error) => e.message));
  const done = deadlines.run(Promise.resolve('ok'), 100, errors, 'call');
  assert.equal(await done, 'ok');
  // A read (a key given) that finds nothing fails with the caller's error for it; one that finds a value resolves.
  await assert.rejects(deadlines.run(Promise.resolve(undefined), 100, errors, 'read', 'k'), /no k/);
  assert.equal(await deadlines.run(Promise.resolve(0), 100, errors, 'read', 'k'), 0);
  assert.equal(clock.pending, 2);
  clock.advance(100);
  assert.deepEqual(await Promise.all(calls.slice(0, 3)), ['call 100', 'call 100', 'call 100']);
  clock.advance(100);
  assert.equal(await calls[3], 'call 200');
  assert.equal(deadlines.lists, 0);
  assert.equal(clock.pending, 0);
});
