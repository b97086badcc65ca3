import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { inspectNode, nodeHealth } from '../../../../src/mesh/ops/node-service.ts';
import { REPORT_LIMITS } from '../../../../src/mesh/ops/node-report.ts';
import { defineService } from '../../../../src/mesh/service.ts';
import { findActor as find } from '../../../support/inspect.ts';
import { memoryMesh } from '../../../support/mesh.ts';
import { nextEvent } from '../../../support/wait.ts';

const echo = defineService({
  name: 'echo',
  endpoints: {
    'Echo.Call': (req: unknown) => req,
    'Echo.Fail': () => {
      throw new MicroError('NOT_FOUND', 'nothing');
    },
    'Echo.Stream': { stream: async () => {} },
  },
});

test('inspect — a node reports its actor tree (mailbox depth, restarts, state), its services and call counts to another node', async () => {
  const mesh = memoryMesh();
  try {
    const b = await mesh.node('b', { ops: {} });
    await b.serve(echo);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow = b.system.spawn<string>(async () => gate, { name: 'slow' });
    for (let i = 0; i < 4; i++) slow.tell('work');
    const crashy = b.system.spawn<string>(
      (m) => {
        if (m === 'crash') throw new Error('boom');
      },
      { name: 'crashy' },
    );
    const restarted = nextEvent(b.system, 'actor-restarted', (e) => e.actor === '/user/crashy');
    crashy.tell('crash');
    await restarted;
    const a = await mesh.node('a');
    for (let i = 0; i < 3; i++) await a.client.call('echo', 'Echo.Call', { i });
    await assert.rejects(a.client.call('echo', 'Echo.Fail', {}));
    const report = await inspectNode(a.client, 'b', 2000);
    assert.equal(report.id, 'b');
    assert.equal(report.address, 'mem://b');
    assert.equal(report.tree.path, '/');
    assert.deepEqual(
      report.tree.children.map((c) => c.path),
      ['/user', '/system'],
    );
    const s = find(report.tree, '/user/slow');
    assert.deepEqual(s && { state: s.state, mailbox: s.mailbox }, { state: 'running', mailbox: 3 });
    assert.equal(find(report.tree, '/user/crashy')?.restarts, 1);
    assert.ok(find(report.tree, '/system/node/registration'), 'the node components are in the tree');
    assert.ok(find(report.tree, '/user/services/echo'), 'the service supervisor is in the tree');
    const served = report.services.find((x) => x.name === 'echo');
    assert.deepEqual(served?.endpoints, [
      { name: 'Echo.Call', stream: false },
      { name: 'Echo.Fail', stream: false },
      { name: 'Echo.Stream', stream: true },
    ]);
    assert.deepEqual(
      report.calls.filter((c) => c.service === 'echo').sort((x, y) => x.endpoint.localeCompare(y.endpoint)),
      [
        { service: 'echo', endpoint: 'Echo.Call', total: 3, errors: 0 },
        { service: 'echo', endpoint: 'Echo.Fail', total: 1, errors: 1 },
      ],
    );
    release();
  } finally {
    await mesh.close();
  }
});

test('inspect — a node with operations off refuses inspection with 403, and still answers health', async () => {
  const mesh = memoryMesh();
  try {
    await mesh.node('quiet');
    const a = await mesh.node('a');
    await assert.rejects(inspectNode(a.client, 'quiet', 2000), (err: unknown) => MicroError.from(err).reason === 'FORBIDDEN' && /inspection is off/.test(MicroError.from(err).detail));
    const health = await nodeHealth(a.client, 'quiet', 2000);
    assert.equal(health.ready, true, JSON.stringify(health));
    assert.equal(health.checks.registered?.ok, true);
  } finally {
    await mesh.close();
  }
});

test('inspect — the report is bounded: 3000 actors give at most the limit, with what was left out counted', async () => {
  const mesh = memoryMesh();
  try {
    const b = await mesh.node('b', { ops: { inspect: true } });
    for (let i = 0; i < 3000; i++) b.system.spawn(() => {}, { name: `w${i}` });
    const a = await mesh.node('a');
    const report = await inspectNode(a.client, 'b', 5000);
    assert.equal(report.actors, REPORT_LIMITS.actors);
    assert.equal(report.truncated, true);
    const user = find(report.tree, '/user');
    assert.ok((user?.omitted ?? 0) > 1000, `omitted ${user?.omitted}`);
    assert.ok(JSON.stringify(report).length < 400_000, `${JSON.stringify(report).length} bytes`);
  } finally {
    await mesh.close();
  }
});

test('health — over the mesh: a failing critical check reads not ready with its error; a node that is not there reads unreachable', async () => {
  const mesh = memoryMesh();
  try {
    const b = await mesh.node('b');
    b.health.addCheck('db', () => {
      throw new Error('connection refused');
    });
    const a = await mesh.node('a');
    const health = await nodeHealth(a.client, 'b', 2000);
    assert.equal(health.ready, false);
    assert.deepEqual(health.checks.db, { ok: false, critical: true, error: 'connection refused' });
    const missing = await nodeHealth(a.client, 'nobody', 500);
    assert.equal(missing.ready, false);
    assert.match(missing.checks.reachable?.error ?? '', /^[A-Z_]+: /);
  } finally {
    await mesh.close();
  }
});
