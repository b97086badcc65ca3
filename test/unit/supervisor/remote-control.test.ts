import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { type ActorSystem, type AnyRef, type BaseRef, Envelope, RemoteDeniedError } from '../../../src/actors/index.ts';
import { kernelOf } from '../../../src/actors/internal.ts';
import { createActorSystem, createSupervisor, type SupervisorInfo, type SupervisorMessage } from '../../../src/supervisor/index.ts';
import { collectEvents, settlesSoon, turns, waitUntil } from '../../support/wait.ts';

let system: ActorSystem;
afterEach(() => system?.terminate());

const worker = (_m: string) => {};

async function startSupervisor() {
  system = createActorSystem();
  const sup = system.spawn(createSupervisor({ children: [{ id: 'a', start: worker }] }), { name: 'sup' });
  const child = (id: string) => system.ref(`mesh://${system.nodeId}/user/sup/${id}`);
  await waitUntil(() => child('a').tell('warm') === true, 2000, 'child a');
  return { sup, child };
}

/** Delivers a control message as the mesh does for one from node-x, as an ask: resolves with its outcome. */
function askFromNetwork(sup: AnyRef, message: SupervisorMessage): Promise<unknown> {
  const ep = kernelOf(system).asks.create(sup.path, message.type, { timeoutMs: 60_000 });
  (sup as BaseRef).deliver(message, new Envelope(ep, undefined, -1, undefined, 'node-x'));
  return settlesSoon(ep.promise.catch((e: unknown) => e), message.type);
}

test('supervisor — control messages from another node are dead letters, never obeyed', async () => {
  const { sup, child } = await startSupervisor();
  const dead = collectEvents(system, 'dead-letter');
  const messages: SupervisorMessage[] = [
    { type: 'start-child', spec: { id: 'intruder', start: worker } },
    { type: 'stop-child', id: 'a' },
    { type: 'inspect' },
  ];
  for (const m of messages) (sup as BaseRef).deliver(m, new Envelope(undefined, undefined, -1, undefined, 'node-x'));
  await turns();
  assert.equal(child('intruder').tell('x'), false, 'a child was started from the network');
  assert.equal(child('a').tell('x'), true, 'a child was stopped from the network');
  assert.deepEqual(
    dead.events.filter((e) => e.recipient === '/user/sup').map((e) => [(e.message as SupervisorMessage).type, e.reason]),
    [['start-child', 'rejected'], ['stop-child', 'rejected'], ['inspect', 'rejected']],
  );
});

test('supervisor — an ask with a control message from another node gets a REMOTE_DENIED error reply', async () => {
  const { sup, child } = await startSupervisor();
  for (const m of [{ type: 'start-child', spec: { id: 'intruder', start: worker } }, { type: 'stop-child', id: 'a' }, { type: 'inspect' }] as SupervisorMessage[]) {
    const err = await askFromNetwork(sup, m);
    assert.ok(err instanceof RemoteDeniedError, `${m.type}: ${String(err)}`);
    assert.equal(err.code, 'REMOTE_DENIED');
    assert.equal(err.origin, 'node-x');
  }
  assert.equal(child('intruder').tell('x'), false);
  assert.equal(child('a').tell('x'), true);
});

test('supervisor — the same control messages from this node are obeyed', async () => {
  const { sup, child } = await startSupervisor();
  const ref = sup as unknown as import('../../../src/actors/index.ts').ActorRef<SupervisorMessage>;
  const started = (await ref.ask({ type: 'start-child', spec: { id: 'b', start: worker } })) as AnyRef;
  assert.equal(started.path, '/user/sup/b');
  const info: SupervisorInfo = await ref.ask({ type: 'inspect' });
  assert.deepEqual(info.children.map((c) => c.id), ['a', 'b']);
  assert.equal(await ref.ask({ type: 'stop-child', id: 'a' }), true);
  await waitUntil(() => child('a').tell('x') === false, 2000, 'a stopped');
});
