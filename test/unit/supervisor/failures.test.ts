import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { type Actor, type ActorSystem, type ChildInfo, createSimulatedClock, type Failure, type StopReason } from '../../../src/actors/index.ts';
import { fromMachine } from '../../../src/actors/xstate.ts';
import { createActorSystem, createSupervisor } from '../../../src/supervisor/index.ts';
import { assign, createMachine } from 'xstate';
import { collectEvents, deferred, nextEvent, settlesSoon, turns, turnsUntil, waitUntil } from '../../support/wait.ts';

let system: ActorSystem;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
before(() => process.on('unhandledRejection', onUnhandled));
after(() => process.off('unhandledRejection', onUnhandled));
afterEach(async () => {
  await system?.terminate();
  await turns(3);
  assert.deepEqual(unhandled, [], 'no unhandled rejection may reach the process');
});

function recordingSystem() {
  const failures: Array<{ child: ChildInfo; failure: Failure }> = [];
  const stops: Array<{ child: string; reason: StopReason }> = [];
  system = createActorSystem({
    defaultStrategy: {
      handleFailure(control, child, failure) {
        failures.push({ child, failure });
        control.stop(child);
      },
      handleStopped(_control, child, reason) {
        stops.push({ child: child.name, reason });
      },
    },
  });
  return { failures, stops };
}

test('failures — a throwing constructor is a start failure handled by the supervisor', async () => {
  const { failures } = recordingSystem();
  class Broken implements Actor<unknown> {
    constructor() {
      throw new Error('ctor');
    }
    receive() {}
  }
  system.spawn(Broken, { name: 'broken' });
  await waitUntil(() => failures.length === 1);
  assert.equal(failures[0]?.failure.phase, 'start');
  assert.equal((failures[0]!.failure.error as Error).message, 'ctor');
});

test('failures — a throwing or rejecting preStart is handled by the supervisor', async () => {
  const { failures } = recordingSystem();
  system.spawn({ kind: 'factory', create: () => ({ preStart() { throw new Error('sync'); }, receive() {} }) }, { name: 'a' });
  system.spawn({ kind: 'factory', create: () => ({ async preStart() { throw new Error('async'); }, receive() {} }) }, { name: 'b' });
  await waitUntil(() => failures.length === 2);
  assert.deepEqual(failures.map((f) => (f.failure.error as Error).message).sort(), ['async', 'sync']);
  assert.ok(failures.every((f) => f.failure.phase === 'start'));
});

test('failures — a rejected promise in a handler is a failure, not an unhandled rejection', async () => {
  const { failures } = recordingSystem();
  const ref = system.spawn(async (_m: string) => {
    await Promise.resolve();
    throw new Error('rejected');
  });
  ref.tell('go');
  await waitUntil(() => failures.length === 1);
  assert.equal(failures[0]?.failure.phase, 'receive');
});

test('failures — a throw in postStop is reported to the supervisor as the stop reason', async () => {
  const { stops } = recordingSystem();
  const failed = nextEvent(system, 'actor-failed', (e) => e.phase === 'stop');
  const ref = system.spawn({ kind: 'factory', create: () => ({ postStop() { throw new Error('cleanup'); }, receive() {} }) }, { name: 'p' });
  await new Promise((r) => setImmediate(r));
  await system.stop(ref);
  await failed;
  assert.equal(stops.length, 1);
  assert.equal(stops[0]?.reason.type, 'failure');
  assert.equal(((stops[0]!.reason as { error: Error }).error).message, 'cleanup');
});

test('failures — an escalation that reaches the root stops the tree and reports', async () => {
  system = createActorSystem({ defaultStrategy: { handleFailure: (control, _c, failure) => control.escalate(failure) } });
  const rootFailure = nextEvent(system, 'root-failure');
  const ref = system.spawn((_m: string) => {
    throw new Error('fatal');
  });
  ref.tell('go');
  const e = await rootFailure;
  assert.equal((e.error as Error).message, 'fatal');
  const reason = await system.whenTerminated;
  assert.equal(reason.type, 'failure');
});

test('shutdown — a child ignoring its shutdown time is force-stopped and reported; the tree stops in reverse order', async () => {
  const clock = createSimulatedClock();
  system = createActorSystem({ clock });
  const log: string[] = [];
  const child = (name: string, hang: boolean) => ({
    kind: 'factory' as const,
    create: () => ({
      receive() {},
      postStop() {
        log.push(`end ${name}`);
        return hang ? new Promise<void>(() => {}) : undefined;
      },
    }),
  });
  const sup = system.spawn(
    createSupervisor({ children: [{ id: 'a', start: child('a', false) }, { id: 'b', start: child('b', true), shutdownMs: 30 }, { id: 'c', start: child('c', false) }] }),
    { name: 'sup' },
  );
  await waitUntil(() => system.ref(`mesh://${system.nodeId}/user/sup/c`).tell('x') === true);
  const forced = collectEvents(system, 'forced-stop');
  const stopped = system.stop(sup);
  await waitUntil(() => log.includes('end b'));
  clock.advance(29);
  await assert.rejects(settlesSoon(stopped), /did not settle/, 'forced before its shutdown time');
  assert.deepEqual(log, ['end c', 'end b']);
  clock.advance(1);
  await settlesSoon(stopped, 'the stop');
  assert.deepEqual(log, ['end c', 'end b', 'end a']);
  assert.deepEqual(forced.events.map((e) => [e.actor, e.afterMs]), [['/user/sup/b', 30]]);
});

test('shutdown — a handler that never settles is abandoned after the shutdown time', async () => {
  const clock = createSimulatedClock();
  system = createActorSystem({ clock });
  const ref = system.spawn((_m: string) => new Promise<void>(() => {}), { shutdownMs: 20 });
  ref.tell('hang');
  await turns();
  const forced = nextEvent(system, 'forced-stop');
  const stopped = system.stop(ref);
  clock.advance(19);
  await assert.rejects(settlesSoon(stopped), /did not settle/, 'abandoned before its shutdown time');
  clock.advance(1);
  await settlesSoon(stopped, 'the stop');
  assert.equal((await forced).actor, ref.path);
});

test('restart — a sibling busy in a handler is given its shutdown time, then abandoned, before one_for_all restarts', async () => {
  const clock = createSimulatedClock();
  system = createActorSystem({ clock });
  const hang = deferred();
  const started: string[] = [];
  const sibling = (name: string) => ({
    kind: 'factory' as const,
    create: () => ({
      preStart() {
        started.push(name);
      },
      receive(m: string) {
        if (m === 'fail') throw new Error('fail');
        if (m === 'hang') return hang.promise;
      },
    }),
  });
  system.spawn(
    createSupervisor({ strategy: 'one_for_all', children: [{ id: 'busy', start: sibling('busy'), shutdownMs: 100 }, { id: 'failing', start: sibling('failing') }] }),
    { name: 'sup' },
  );
  await waitUntil(() => started.length === 2);
  system.ref<string>(`mesh://${system.nodeId}/user/sup/busy`).tell('hang');
  await turns();
  const restarts = collectEvents(system, 'actor-restarted');
  system.ref<string>(`mesh://${system.nodeId}/user/sup/failing`).tell('fail');
  await turns();
  clock.advance(99);
  await turns();
  assert.equal(restarts.events.length, 0, 'restarted while the busy sibling still had time');
  clock.advance(1);
  await turnsUntil(() => restarts.events.length === 2, 'both restarted');
  assert.deepEqual(restarts.events.map((e) => e.actor), ['/user/sup/busy', '/user/sup/failing']);
});

test('xstate — a machine that errors is restarted as a fresh instance at the same address', async () => {
  system = createActorSystem();
  const machine = createMachine({
    types: {} as { context: { count: number }; events: { type: 'inc' } | { type: 'explode' } },
    context: { count: 0 },
    initial: 'on',
    states: {
      on: {
        on: {
          inc: { actions: assign({ count: ({ context }) => context.count + 1 }) },
          explode: {
            actions: () => {
              throw new Error('machine exploded');
            },
          },
        },
      },
    },
  });
  const counts: number[] = [];
  const ref = system.spawn(fromMachine(machine, { onTransition: (s) => counts.push(s.context.count) }), { name: 'm' });
  const before = ref.address;
  ref.tell({ type: 'inc' });
  ref.tell({ type: 'inc' });
  const restarted = nextEvent(system, 'actor-restarted');
  ref.tell({ type: 'explode' });
  await restarted;
  ref.tell({ type: 'inc' });
  await waitUntil(() => counts.length >= 5);
  assert.deepEqual(counts.slice(0, 3), [0, 1, 2]);
  assert.equal(counts.at(-1), 1, 'the restarted machine starts from fresh context');
  assert.equal(ref.path, '/user/m');
  assert.notEqual(ref.address, before);
});
