import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createSimulatedClock } from '../../../../src/actors/clock.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { DeadLetterKey } from '../../../../src/mesh/events/dead-letter.ts';
import type { EventDelivery } from '../../../../src/mesh/events/events.ts';
import { createMemoryEvents } from '../../../../src/mesh/events/memory.ts';
import type { Middleware } from '../../../../src/mesh/middleware/middleware.ts';
import { memoryMesh } from '../../../support/mesh.ts';
import { passUntil } from '../../../support/wait.ts';
import { until } from '../../../conformance/events.ts';

test('node.events — publish and consume pass through the middleware publish and subscribe hooks, with metadata', async () => {
  const mesh = memoryMesh();
  const seen: string[] = [];
  const tracing: Middleware = {
    name: 'tracing',
    publish: (next) => (p) => {
      seen.push(`publish ${p.topic} ${JSON.stringify(p.message)}`);
      return next({ ...p, metadata: { ...p.metadata, traceparent: '00-abc-def-01' } });
    },
    subscribe: (next) => async (d) => {
      seen.push(`deliver ${d.topic} ${d.metadata.traceparent} ${d.metadata['x-user']}`);
      if (d.topic === 'audit.log' && d.metadata['x-user'] === 'mallory') throw new MicroError('FORBIDDEN', 'mallory may not');
      return next(d);
    },
  };
  try {
    const node = await mesh.node('mw', { events: createMemoryEvents({ pollMs: 50 }), middleware: [tracing] });
    assert.equal(node.events.name, 'memory');
    const got: EventDelivery[] = [];
    await node.events.consume('audit.log', { group: 'auditors', maxDeliver: 1, deadLetter: 'audit.dead' }, (e) => void got.push(e));
    const dead: EventDelivery[] = [];
    await node.events.consume('audit.dead', { group: 'dlq' }, (e) => void dead.push(e));
    const seq = await node.events.publish('audit.log', { n: 1 }, { metadata: { 'x-user': 'ada' } });
    await node.events.publish('audit.log', { n: 2 }, { metadata: { 'x-user': 'mallory' } });
    await until('one handled and one dead-lettered', () => got.length === 1 && dead.length === 1);
    assert.equal(got[0]?.sequence, seq);
    assert.equal(got[0]?.metadata.traceparent, '00-abc-def-01');
    assert.match(dead[0]?.metadata[DeadLetterKey.Error] ?? '', /mallory may not/);
    assert.ok(seen.includes('publish audit.log {"n":1}'));
    assert.ok(seen.includes('deliver audit.log 00-abc-def-01 ada'));
  } finally {
    await mesh.close();
  }
});

test('node.events — stopping the node stops its consumers; later publishes are 503', async () => {
  const mesh = memoryMesh();
  try {
    const node = await mesh.node('tree', { events: 'memory' });
    const consumer = await node.events.consume('t.x', { group: 'g' }, () => {});
    assert.deepEqual(consumer.stats(), { handled: 0, failed: 0, deadLettered: 0 });
    await node.stop();
    await assert.rejects(node.events.publish('t.x', 1), (e: unknown) => e instanceof MicroError && e.code === 503);
  } finally {
    await mesh.close();
  }
});

test('node.events — MICRO_EVENTS chooses the back end; the file default opens its directory only on first use', async () => {
  const mesh = memoryMesh();
  const directory = await mkdtemp(join(tmpdir(), 'micromesh-node-events-'));
  try {
    const node = await mesh.node('file', { events: `file://${directory}/log` });
    assert.equal(node.events.name, 'file');
    await assert.rejects(stat(join(directory, 'log')), 'nothing opened before the first use');
    assert.equal(await node.events.publish('t.x', 'hello'), 1);
    assert.ok((await stat(join(directory, 'log', 'events.log'))).size > 0);
    await assert.rejects(mesh.node('bad', { events: 'nope://x' }), (e: unknown) => e instanceof MicroError && e.code === 400);
  } finally {
    await mesh.close();
    await rm(directory, { recursive: true, force: true });
  }
});

test('node.events — a consumer whose source fails is restarted by its supervisor and resumes, losing nothing', async () => {
  const mesh = memoryMesh();
  // The supervisor's restart backoff, the reads' polls and the ack wait run on a simulated clock the test advances.
  const clock = createSimulatedClock();
  const inner = createMemoryEvents({ pollMs: 50, clock });
  let opens = 0;
  let failures = 0;
  const flaky = {
    ...inner,
    name: 'flaky',
    wildcards: true,
    append: (e: Parameters<typeof inner.append>[0]) => inner.append(e),
    close: () => inner.close(),
    open: async (topic: string, settings: Parameters<typeof inner.open>[1]) => {
      opens++;
      const source = await inner.open(topic, settings);
      return {
        close: () => source.close(),
        next: async (max: number) => {
          const batch = await source.next(max);
          if (batch.length > 0 && failures < 2) {
            failures++;
            throw new MicroError('UNAVAILABLE', 'connection lost');
          }
          return batch;
        },
      };
    },
  };
  try {
    const node = await mesh.node('flaky', { events: flaky, system: { clock } });
    const got: number[] = [];
    await node.events.consume('t.x', { group: 'g', ackWaitMs: 200 }, (e) => void got.push(e.data as number));
    for (const n of [1, 2, 3]) await node.events.publish('t.x', n);
    await passUntil(clock, () => new Set(got).size === 3, 'every event after two restarts', 5000);
    assert.equal(opens, 3, 'the source was opened again after each failure');
    assert.deepEqual([...new Set(got)].sort(), [1, 2, 3]);
  } finally {
    await mesh.close();
  }
});
