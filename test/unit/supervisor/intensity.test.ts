import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { type Actor, type ActorContext, type ActorSystem, type ChildInfo, createSimulatedClock, type Failure } from '../../../src/actors/index.ts';
import { BackoffTracker, backoffDelay, createActorSystem, createSupervisor, RestartIntensity } from '../../../src/supervisor/index.ts';
import { collectEvents, nextEvent, turns, turnsUntil, waitUntil } from '../../support/wait.ts';

let system: ActorSystem;
afterEach(() => system?.terminate());

function child(name: string, log: string[]) {
  return class implements Actor<'fail' | 'ping'> {
    preStart() {
      log.push(`start ${name}`);
    }
    postStop() {
      log.push(`end ${name}`);
    }
    receive(m: 'fail' | 'ping', ctx: ActorContext<'fail' | 'ping'>) {
      if (m === 'fail') throw new Error(`${name} failed`);
      ctx.reply('pong');
    }
  };
}

test('intensity — the 4th failure within 5 s stops the children in reverse order and escalates', async () => {
  const clock = createSimulatedClock();
  const escalated: Array<{ child: ChildInfo; failure: Failure }> = [];
  system = createActorSystem({
    clock,
    defaultStrategy: { handleFailure: (control, c, failure) => { escalated.push({ child: c, failure }); control.stop(c); } },
  });
  const log: string[] = [];
  system.spawn(createSupervisor({ children: ['x', 'y', 'z'].map((id) => ({ id, start: child(id, log) })) }), { name: 'sup' });
  await waitUntil(() => log.length === 3);
  const x = system.ref<'fail' | 'ping'>(`mesh://${system.nodeId}/user/sup/x`);
  const restarts = collectEvents(system, 'actor-restarted');
  for (let i = 1; i <= 3; i++) {
    x.tell('fail');
    await waitUntil(() => restarts.events.length === i, 2000, `restart ${i}`);
    clock.advance(1000);
  }
  assert.equal(escalated.length, 0);
  log.length = 0;
  x.tell('fail');
  await waitUntil(() => escalated.length === 1, 2000, 'escalation');
  assert.deepEqual(log.slice(0, 3), ['end z', 'end y', 'end x'], 'children stop in reverse start order');
  assert.equal(escalated[0]?.child.name, 'sup');
  assert.equal((escalated[0]!.failure.error as Error).message, 'x failed', 'the original error');
  assert.equal(escalated[0]?.failure.origin.path, '/user/sup/x', 'the failing child’s identity');
});

test('intensity — failures spaced wider than the window restart forever', async () => {
  const clock = createSimulatedClock();
  let escalations = 0;
  system = createActorSystem({ clock, defaultStrategy: { handleFailure: (control, c) => { escalations++; control.stop(c); } } });
  const log: string[] = [];
  system.spawn(createSupervisor({ children: [{ id: 'x', start: child('x', log) }] }), { name: 'sup' });
  await waitUntil(() => log.length === 1);
  const x = system.ref<'fail' | 'ping'>(`mesh://${system.nodeId}/user/sup/x`);
  const restarts = collectEvents(system, 'actor-restarted');
  for (let i = 1; i <= 12; i++) {
    x.tell('fail');
    await waitUntil(() => restarts.events.length === i, 2000, `restart ${i}`);
    clock.advance(1700);
  }
  assert.equal(escalations, 0);
  assert.equal(await x.ask('ping'), 'pong');
});

test('intensity — the sliding window counts only restarts inside it', () => {
  const w = new RestartIntensity(3, 5000);
  assert.ok(w.record(0) && w.record(1000) && w.record(2000));
  assert.equal(w.record(3000), false, '4th within 5 s');
  const w2 = new RestartIntensity(3, 5000);
  assert.ok(w2.record(0) && w2.record(1000) && w2.record(2000));
  assert.ok(w2.record(5001), 'the first restart slid out of the window');
});

test('backoff — delays follow min·2^n capped at max, within the jitter band', () => {
  const opts = { minMs: 100, maxMs: 2000, jitter: 0.2 };
  const expected = [100, 200, 400, 800, 1600, 2000, 2000];
  expected.forEach((base, n) => {
    assert.equal(backoffDelay(n, { ...opts, random: () => 0.5 }), base);
    assert.equal(backoffDelay(n, { ...opts, random: () => 0 }), Math.round(base * 0.8));
    assert.equal(backoffDelay(n, { ...opts, random: () => 0.999999 }), Math.round(base * 1.2 - base * 0.4 * 0.000001));
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(n, opts);
      assert.ok(d >= base * 0.8 - 1 && d <= base * 1.2 + 1, `${d} outside the band of ${base}`);
    }
  });
});

test('backoff — resets after a healthy period', () => {
  const t = new BackoffTracker({ minMs: 100, maxMs: 10_000, jitter: 0, resetAfterMs: 1000 });
  assert.deepEqual([t.next('a', 0, 10), t.next('a', 10, 20), t.next('a', 20, 30)], [100, 200, 400]);
  assert.equal(t.next('a', 30, 2000), 100, 'ran 1970 ms since its last start: healthy');
  assert.equal(t.next('b', 0, 10), 100, 'per child');
});

test('backoff — the restart waits out its delay on the system clock; messages meanwhile wait in the mailbox, overflow is dead letters', async () => {
  const clock = createSimulatedClock();
  system = createActorSystem({ clock });
  const handled: string[] = [];
  system.spawn(
    createSupervisor({
      backoff: { minMs: 40, maxMs: 40, jitter: 0 },
      children: [
        {
          id: 'w',
          mailbox: { capacity: 3 },
          start: (m: string) => {
            if (m === 'fail') throw new Error('x');
            handled.push(m);
          },
        },
      ],
    }),
    { name: 'sup' },
  );
  const path = `mesh://${system.nodeId}/user/sup/w`;
  await waitUntil(() => system.ref<string>(path).tell('warm') === true);
  await waitUntil(() => handled.length === 1);
  const w = system.ref<string>(path);
  const dead = collectEvents(system, 'dead-letter');
  const restarted = collectEvents(system, 'actor-restarted');
  const decided = nextEvent(system, 'supervisor-decided', (e) => e.directive === 'restart');
  w.tell('fail');
  await decided;
  for (const m of ['a', 'b', 'c', 'd', 'e']) w.tell(m);
  assert.deepEqual(dead.events.map((e) => e.message), ['d', 'e']);
  clock.advance(39);
  await turns();
  assert.equal(restarted.events.length, 0, 'restarted before its backoff delay');
  assert.deepEqual(handled, ['warm'], 'handled during the backoff delay');
  clock.advance(1);
  await turnsUntil(() => handled.length === 4, 'stash handled after restart');
  assert.equal(restarted.events.length, 1);
  assert.deepEqual(handled, ['warm', 'a', 'b', 'c']);
});

test('backoff — consecutive restarts double the delay on the clock, and a healthy run resets it', async () => {
  const clock = createSimulatedClock();
  system = createActorSystem({ clock });
  system.spawn(
    createSupervisor({
      maxRestarts: 100,
      backoff: { minMs: 100, maxMs: 1000, jitter: 0, resetAfterMs: 5000 },
      children: [{ id: 'w', start: (m: string) => { if (m === 'fail') throw new Error('x'); } }],
    }),
    { name: 'sup' },
  );
  const path = `mesh://${system.nodeId}/user/sup/w`;
  await waitUntil(() => system.ref<string>(path).tell('warm') === true);
  const w = system.ref<string>(path);
  const restarted = collectEvents(system, 'actor-restarted');
  /** Fails the child and returns after how many ms of clock time it restarted. */
  const delayOfNextRestart = async (): Promise<number> => {
    const before = restarted.events.length;
    w.tell('fail');
    await nextEvent(system, 'supervisor-decided', (e) => e.directive === 'restart');
    let waited = 0;
    while (restarted.events.length === before) {
      assert.ok(waited <= 2000, 'no restart within 2 s of clock time');
      clock.advance(10);
      waited += 10;
      await turns(2);
    }
    return waited;
  };
  assert.deepEqual([await delayOfNextRestart(), await delayOfNextRestart(), await delayOfNextRestart()], [100, 200, 400]);
  clock.advance(5000);
  assert.equal(await delayOfNextRestart(), 100, 'a child that ran 5 s since its last start is healthy again');
});
