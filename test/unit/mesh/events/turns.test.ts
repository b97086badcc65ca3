import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TurnWaits } from '../../../../src/mesh/events/turns.ts';

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

test('turn waits — another member\'s predecessor is asked about until it is settled there', async () => {
  const waits = new TurnWaits<string>(100);
  const answers = [false, false, true];
  let asked = 0;
  await waits.wait('7-0', async () => answers[asked++] as boolean);
  assert.equal(asked, 3);
});

test('turn waits — closing ends every wait', async () => {
  const waits = new TurnWaits<number>(100_000);
  waits.delivered(1);
  const wait = waits.wait(1, async () => false);
  waits.close();
  await wait;
  assert.equal(waits.wait(2, async () => false), undefined, 'a closed member waits for nothing');
});
