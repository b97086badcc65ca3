import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../../../src/actors/logger.ts';
import { EngineActors, type OpenContext } from '../../../../src/mesh/plugins/engine-actors.ts';
import { createPluginResources } from '../../../../src/mesh/plugins/resources.ts';
import { createActorSystem } from '../../../../src/supervisor/index.ts';
import { waitUntil } from '../../../support/wait.ts';

interface Conn {
  n: number;
  closed: boolean;
}

function fakeEngine() {
  const opened: Conn[] = [];
  let owner: OpenContext | undefined;
  let failOpen = false;
  return {
    opened,
    fail: (error: unknown) => owner?.fail(error),
    set failOpen(v: boolean) {
      failOpen = v;
    },
    open: (ctx: OpenContext): Conn => {
      if (failOpen) throw new Error('engine down');
      owner = ctx;
      const conn = { n: opened.length + 1, closed: false };
      opened.push(conn);
      return conn;
    },
    close: (conn: Conn) => {
      conn.closed = true;
    },
  };
}

test('engine actors — a shared connection is owned by a supervised actor, listed, and replaced when it fails for good', async () => {
  const system = createActorSystem({ nodeId: 'engines', logger: silentLogger });
  const resources = createPluginResources({ actors: new EngineActors(system) });
  const engine = fakeEngine();
  try {
    const a = await resources.acquire('fake fake://db:1', engine.open, engine.close);
    const b = await resources.acquire('fake fake://db:1', engine.open, engine.close);
    assert.equal(a.value.n, 1);
    assert.equal(engine.opened.length, 1, 'one connection for both holders');
    assert.deepEqual((await resources.supervised()).map((c) => c.id), ['engine-fake@db:1']);
    const renewed: number[] = [];
    a.onRenewed?.((conn) => renewed.push(conn.n));
    engine.fail(new Error('connection lost for good'));
    await waitUntil(() => a.value.n === 2, 5000, 'a new connection');
    assert.equal(b.value.n, 2, 'every holder sees the new connection');
    assert.deepEqual(renewed, [2]);
    assert.equal(engine.opened[0].closed, true, 'the failed connection was closed');
    const [child] = await resources.supervised();
    assert.equal(child.restarts, 1);
    await a.release();
    assert.equal(engine.opened[1].closed, false, 'still held by b');
    await b.release();
    assert.equal(engine.opened[1].closed, true, 'the last release closes it');
    assert.deepEqual(await resources.supervised(), []);
  } finally {
    await resources.close();
    await system.terminate();
  }
});

test('engine actors — a first open that fails rejects the acquire and leaves no actor', async () => {
  const system = createActorSystem({ nodeId: 'engines-fail', logger: silentLogger });
  const resources = createPluginResources({ actors: new EngineActors(system) });
  const engine = fakeEngine();
  engine.failOpen = true;
  try {
    await assert.rejects(resources.acquire('fake fake://down', engine.open, engine.close), /engine down/);
    assert.deepEqual(await resources.supervised(), []);
    engine.failOpen = false;
    const lease = await resources.acquire('fake fake://down', engine.open, engine.close);
    assert.equal(lease.value.n, 1);
  } finally {
    await resources.close();
    await system.terminate();
  }
  assert.equal(engine.opened[0].closed, true, 'closing the resources closes what is open');
});
