import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { ActorSystem, type AnyRef, createRecordingLogger, createSimulatedClock, DeadRef } from '../../../src/actors/index.ts';
import { attachKernel, kernelOf } from '../../../src/actors/internal.ts';
import { createActorSystem } from '../../../src/supervisor/index.ts';
import { collectEvents } from '../../support/wait.ts';

let system: ActorSystem;
afterEach(() => system?.terminate());

const PUBLIC = ['addressOf', 'clock', 'events', 'log', 'nodeId', 'ref', 'spawn', 'spawnSystem', 'stats', 'stop', 'terminate', 'terminated', 'whenTerminated'];
const INTERNAL = ['asks', 'dispatcher', 'spawnChild', 'respawn', 'deadLetter', 'actorStopped', 'nextIncarnation', 'defaults', 'defaultStrategy', 'userGuardian', 'addResolver', 'now', 'onRootFailure'];

test('system — its public surface is the facade; kernel internals are not members', () => {
  system = createActorSystem();
  const members = new Set([...Object.getOwnPropertyNames(ActorSystem.prototype), ...Object.keys(system)]);
  members.delete('constructor');
  assert.deepEqual([...members].sort(), [...PUBLIC].sort());
  for (const name of INTERNAL) assert.equal(name in system, false, `${name} is reachable on the system`);
});

test('system — the clock option is the clock of the whole system, readable but not replaceable', () => {
  const clock = createSimulatedClock();
  system = createActorSystem({ clock });
  assert.equal(system.clock, clock);
  assert.equal(kernelOf(system).clock, clock);
  assert.throws(() => {
    (system as unknown as { clock: unknown }).clock = createSimulatedClock();
  }, TypeError);
  assert.equal(kernelOf(system).asks.clock, clock, 'asks time out on it');
});

test('system — kernelOf gives the internals of a system, and of nothing else; a kernel is bound once', async () => {
  system = createActorSystem();
  const kernel = kernelOf(system);
  assert.equal(kernelOf(system), kernel, 'the same view every time');
  assert.throws(() => kernelOf({} as ActorSystem), TypeError);
  assert.throws(() => attachKernel(system, kernel), /already has a kernel/);

  const resolved: string[] = [];
  const remote = new DeadRef('mesh://elsewhere/user/x', '/user/x', () => {});
  const unregister = kernel.addResolver((address) => {
    resolved.push(address.nodeId);
    return remote;
  });
  assert.equal(system.ref('mesh://elsewhere/user/x'), remote, 'a registered resolver reaches other nodes');
  unregister();
  assert.notEqual(system.ref('mesh://elsewhere/user/x'), remote);
  assert.deepEqual(resolved, ['elsewhere']);

  const dead = collectEvents(system, 'dead-letter');
  kernel.deadLetter('/user/gone', 'm', undefined, 'stopped');
  assert.equal(system.stats().deadLetters, 1);
  assert.deepEqual(dead.events.map((e) => [e.recipient, e.reason]), [['/user/gone', 'stopped']]);

  const pending = kernel.asks.create('/user/x', 'get', { timeoutMs: 60_000 });
  assert.equal(system.stats().liveAsks, 1, 'the stats read the same registry');
  pending.deliver(1, undefined);
  assert.equal(await pending.promise, 1);
});

test('dead letters — logged at most N per second of the clock; the rest are summarised when the next window opens', () => {
  const clock = createSimulatedClock();
  const logger = createRecordingLogger();
  system = createActorSystem({ clock, logger, deadLetterLogPerSecond: 3 });
  const nobody: AnyRef = system.ref(`mesh://${system.nodeId}/user/nobody`);
  const logged = () => logger.entries.filter((e) => e.message === 'dead letter').length;
  for (let i = 0; i < 5; i++) nobody.tell(i);
  assert.equal(logged(), 3);
  clock.advance(999);
  nobody.tell(5);
  assert.equal(logged(), 3, 'the window is one second of the system clock');
  clock.advance(1);
  nobody.tell(6);
  assert.equal(logged(), 4);
  assert.deepEqual(logger.entries.filter((e) => e.level === 'info').map((e) => e.fields), [{ suppressed: 3 }]);
  assert.equal(system.stats().deadLetters, 7, 'every dead letter is counted');
});
