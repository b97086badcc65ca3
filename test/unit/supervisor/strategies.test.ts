import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { type Actor, type ActorContext, type ActorSystem, type AnyRef, createSimulatedClock, type SimulatedClock } from '../../../src/actors/index.ts';
import { type ChildSpec, createActorSystem, createSupervisor } from '../../../src/supervisor/index.ts';
import { turns, waitUntil } from '../../support/wait.ts';

let system: ActorSystem;
let clock: SimulatedClock;
afterEach(() => system?.terminate());

function simulated(): void {
  clock = createSimulatedClock();
  system = createActorSystem({ clock });
}

/** Lets everything due happen: the event loop turns and an hour of clock time passes. */
async function settle(): Promise<void> {
  await turns();
  clock.advance(3_600_000);
  await turns();
}

type Cmd = 'fail' | 'exit' | 'ping';

/** A child that logs its lifecycle into `log` as "<event> <name>". */
function logged(name: string, log: string[]) {
  return class implements Actor<Cmd> {
    preStart() {
      log.push(`start ${name}`);
    }
    preRestart() {
      log.push(`stop ${name}`);
    }
    postRestart() {
      log.push(`restart ${name}`);
    }
    postStop() {
      log.push(`end ${name}`);
    }
    receive(m: Cmd, ctx: ActorContext<Cmd>) {
      if (m === 'fail') throw new Error(`${name} failed`);
      if (m === 'exit') ctx.stop();
      if (m === 'ping') ctx.reply(name);
    }
  };
}

async function startTree(strategy: 'one_for_one' | 'one_for_all' | 'rest_for_one', specs: Array<Partial<ChildSpec> & { id: string }>, log: string[]) {
  const sup = system.spawn(
    createSupervisor({ strategy, children: specs.map((s) => ({ start: logged(s.id, log), ...s }) as ChildSpec) }),
    { name: 'sup' },
  );
  await waitUntil(() => log.length === specs.length, 2000, 'children started');
  assert.deepEqual(log.splice(0), specs.map((s) => `start ${s.id}`), 'children start in order');
  return { sup, child: (id: string) => system.ref<Cmd>(`mesh://${system.nodeId}/user/sup/${id}`) as import('../../../src/actors/index.ts').ActorRef<Cmd> & AnyRef };
}

test('one_for_all — restarts every child: torn down in reverse order, started in order', async () => {
  simulated();
  const log: string[] = [];
  const { child } = await startTree('one_for_all', [{ id: 'a' }, { id: 'b' }, { id: 'c' }], log);
  child('b').tell('fail');
  await waitUntil(() => log.length === 6);
  assert.deepEqual(log, ['stop c', 'stop b', 'stop a', 'restart a', 'restart b', 'restart c']);
});

test('rest_for_one — restarts the failed child and those started after it, nothing before', async () => {
  simulated();
  const log: string[] = [];
  const { child } = await startTree('rest_for_one', [{ id: 'a' }, { id: 'b' }, { id: 'c' }], log);
  child('b').tell('fail');
  await waitUntil(() => log.length === 4);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(log, ['stop c', 'stop b', 'restart b', 'restart c']);
  assert.equal(await child('a').ask('ping'), 'a');
});

test('one_for_one — restarts only the failed child', async () => {
  simulated();
  const log: string[] = [];
  const { child } = await startTree('one_for_one', [{ id: 'a' }, { id: 'b' }, { id: 'c' }], log);
  child('b').tell('fail');
  await waitUntil(() => log.length === 2);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(log, ['stop b', 'restart b']);
});

test('restart types — temporary children are never restarted, not even with their siblings', async () => {
  simulated();
  const log: string[] = [];
  const { child } = await startTree('one_for_all', [{ id: 'a' }, { id: 't', restart: 'temporary' }, { id: 'c' }], log);
  child('c').tell('fail');
  await waitUntil(() => log.includes('restart c') && log.includes('end t'));
  assert.ok(!log.includes('restart t'), log.join(','));
  assert.deepEqual(log.filter((l) => l.startsWith('restart')), ['restart a', 'restart c']);
  log.length = 0;
  const { child: c2 } = { child };
  assert.equal(await c2('a').ask('ping'), 'a');
  const t2 = system.spawn(createSupervisor({ children: [{ id: 'tt', start: logged('tt', log), restart: 'temporary' }] }), { name: 'sup2' });
  await waitUntil(() => log.includes('start tt'));
  system.ref<Cmd>(`${t2.address.split('#')[0]}/tt`).tell('fail');
  await waitUntil(() => log.includes('end tt'));
  await settle();
  assert.ok(!log.includes('restart tt') && log.filter((l) => l === 'start tt').length === 1);
});

test('restart types — transient restarts on failure only; permanent also after a normal exit', async () => {
  simulated();
  const log: string[] = [];
  const { child } = await startTree('one_for_one', [{ id: 'tr', restart: 'transient' }, { id: 'pe', restart: 'permanent' }], log);
  child('tr').tell('fail');
  await waitUntil(() => log.includes('restart tr'));
  child('tr').tell('exit');
  await waitUntil(() => log.includes('end tr'));
  child('pe').tell('exit');
  await waitUntil(() => log.includes('end pe') && log.filter((l) => l === 'start pe').length === 1, 2000, 'permanent respawned');
  await settle();
  assert.equal(log.filter((l) => l === 'start tr' || l === 'restart tr').length, 1, 'transient restarted after a normal exit');
  assert.equal(await child('pe').ask('ping'), 'pe');
  await assert.rejects(child('tr').ask('ping', { timeoutMs: 1000 }), /stopped or unknown/);
});
