import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSimulatedClock } from '../../../../src/actors/clock.ts';
import { TurnWaits } from '../../../../src/mesh/events/turns.ts';
import { passUntil, settlesSoon, turns } from '../../../support/wait.ts';

test('turn waits — a predecessor settled here lets its successor run at once, without asking the back end', () => {
  const waits = new TurnWaits<number>(1000);
  waits.delivered(1);
  waits.settled(1);
  assert.equal(waits.wait(1, () => assert.fail('asked the back end')), undefined);
});

test('turn waits — a wait on one of this member\'s deliveries ends when it settles here, without asking meanwhile', async () => {
  const waits = new TurnWaits<number>(1000);
  waits.delivered(1);
  let asked = 0;
  const wait = waits.wait(1, async () => {
    asked++;
    return false;
  });
  assert.ok(wait instanceof Promise);
  let done = false;
  void wait.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(done, false);
  waits.settled(1);
  await wait;
  assert.equal(asked, 0, 'its own delivery is waited for without a question to the back end');
});

test('turn waits — another member\'s predecessor is asked about, at a doubling interval up to a tenth of the poll, until it is settled there', async () => {
  const clock = createSimulatedClock(0);
  const waits = new TurnWaits<string>(100, clock);
  const answers = [false, false, false, false, true];
  const askedAt: number[] = [];
  const wait = waits.wait('7-0', async () => answers[askedAt.push(clock.now()) - 1] as boolean);
  await turns();
  await passUntil(clock, () => askedAt.length === 5, 'five questions', 1000, 1);
  await settlesSoon(wait as Promise<void>, 'the wait');
  assert.deepEqual(askedAt, [0, 2, 6, 14, 24], 'asked at once, then after 2, 4 and 8 ms, then every 10 ms');
});

test('turn waits — closing ends every wait', async () => {
  const waits = new TurnWaits<number>(100_000);
  waits.delivered(1);
  const wait = waits.wait(1, async () => false);
  waits.close();
  await wait;
  assert.equal(waits.wait(2, async () => false), undefined, 'a closed member waits for nothing');
});
