import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Delivery } from '../../src/mesh/broker/api.ts';
import { MicroError } from '../../src/mesh/errors.ts';
import type { MeshNode } from '../../src/mesh/mesh-node.ts';
import type { Middleware } from '../../src/mesh/middleware/middleware.ts';
import type { NodeOptions } from '../../src/mesh/node-options.ts';
import { runId } from '../support/engines.ts';
import { waitUntil } from '../support/wait.ts';

/** Nodes on one broker back end, as separate processes would be. */
export interface BrokerUnderTest {
  /** A node whose broker is the back end under test. */
  node(id: string, options?: NodeOptions): Promise<MeshNode>;
  /**
   * Waits until `publisher` knows at least `remote` distinct (pattern, queue) subscriptions of other nodes (the
   * mesh-native broker learns them through the registry).
   */
  settled(publisher: MeshNode, remote: number): Promise<void>;
  close(): Promise<void>;
}

interface Received {
  message: unknown;
  delivery: Delivery;
}

function inbox(): { got: Received[]; handler: (m: unknown, d: Delivery) => void } {
  const got: Received[] = [];
  return { got, handler: (message, delivery) => void got.push({ message, delivery }) };
}

/** The broker conformance suite; `setup` returns undefined when the back end is not reachable (the suite skips). */
export function describeBroker(name: string, setup: () => Promise<BrokerUnderTest | undefined>): void {
  describe(`broker conformance — ${name}`, () => {
    const withPair = async (fn: (a: MeshNode, b: MeshNode, t: BrokerUnderTest, prefix: string) => Promise<void>, options: NodeOptions = {}): Promise<void> => {
      const t = await setup();
      if (t === undefined) return;
      try {
        const prefix = runId();
        const a = await t.node(`${prefix}-a`, options);
        const b = await t.node(`${prefix}-b`, options);
        await fn(a, b, t, prefix);
      } finally {
        await t.close();
      }
    };

    test(`${name} — broadcast reaches every subscription on every node, with metadata and CloudEvents attributes`, () =>
      withPair(async (a, b, t, p) => {
        const [x, y, z] = [inbox(), inbox(), inbox()];
        await a.subscribe(`${p}.orders.created`, x.handler);
        await b.subscribe(`${p}.orders.created`, y.handler);
        await b.subscribe(`${p}.orders.created`, z.handler);
        await t.settled(a, 1);
        await a.publish(`${p}.orders.created`, { n: 1 }, { metadata: { 'x-tenant': 'acme' }, id: 'id-1' });
        await waitUntil(() => x.got.length === 1 && y.got.length === 1 && z.got.length === 1, 5000, 'three deliveries');
        const d = (y.got[0] as Received).delivery;
        assert.deepEqual((y.got[0] as Received).message, { n: 1 });
        assert.equal(d.topic, `${p}.orders.created`);
        assert.equal(d.metadata['x-tenant'], 'acme');
        assert.equal(d.id, 'id-1');
        assert.equal(d.source, `micromesh://${a.id}`);
        assert.equal(d.type, `${p}.orders.created`);
        assert.equal(d.contentType, 'application/json');
        assert.equal(d.attempt, 1);
        assert.ok(!Number.isNaN(Date.parse(d.time)));
      }));

    test(`${name} — * matches one segment and > the rest, the same everywhere`, () =>
      withPair(async (a, b, t, p) => {
        const [star, tail] = [inbox(), inbox()];
        await b.subscribe(`${p}.*.created`, star.handler);
        await b.subscribe(`${p}.orders.>`, tail.handler);
        await t.settled(a, 2);
        for (const topic of [`${p}.orders.created`, `${p}.users.created`, `${p}.orders.item.created`, `${p}.orders`, `${p}.users.deleted`]) await a.publish(topic, topic);
        await a.publish(`${p}.end.created`, 'end');
        await waitUntil(() => star.got.some((r) => r.message === 'end'), 5000, 'the end marker');
        await waitUntil(() => tail.got.length >= 2, 5000, 'two > deliveries');
        assert.deepEqual(star.got.map((r) => r.message).sort(), [`${p}.orders.created`, `${p}.users.created`, 'end'].sort());
        assert.deepEqual(tail.got.map((r) => r.message).sort(), [`${p}.orders.created`, `${p}.orders.item.created`].sort());
      }));

    test(`${name} — a queue group gets each message once, across nodes; broadcast subscribers get all`, () =>
      withPair(async (a, b, t, p) => {
        const [q1, q2, all] = [inbox(), inbox(), inbox()];
        await a.subscribe(`${p}.jobs`, q1.handler, { queue: 'workers' });
        await b.subscribe(`${p}.jobs`, q2.handler, { queue: 'workers' });
        await b.subscribe(`${p}.jobs`, all.handler);
        await t.settled(a, 2);
        const n = 40;
        for (let i = 0; i < n; i++) await a.publish(`${p}.jobs`, i);
        await waitUntil(() => all.got.length === n && q1.got.length + q2.got.length >= n, 10_000, 'every job');
        const seen = [...q1.got, ...q2.got].map((r) => r.message as number).sort((x, y) => x - y);
        assert.deepEqual(seen, Array.from({ length: n }, (_, i) => i), 'each job exactly once in the group');
        assert.ok(q1.got.length > 0 && q2.got.length > 0, `both members got work (${q1.got.length}/${q2.got.length})`);
      }));

    test(`${name} — unsubscribe stops delivery, other subscriptions keep theirs`, () =>
      withPair(async (a, b, t, p) => {
        const [gone, kept] = [inbox(), inbox()];
        const sub = await b.subscribe(`${p}.news`, gone.handler);
        await b.subscribe(`${p}.news`, kept.handler);
        await t.settled(a, 1);
        await a.publish(`${p}.news`, 1);
        await waitUntil(() => gone.got.length === 1 && kept.got.length === 1, 5000, 'first message');
        await sub.unsubscribe();
        await sub.unsubscribe();
        await a.publish(`${p}.news`, 2);
        await waitUntil(() => kept.got.length === 2, 5000, 'second message');
        assert.equal(gone.got.length, 1);
      }));

    test(`${name} — bad topics, bad patterns and unencodable values are 400s and send nothing`, () =>
      withPair(async (a, b, t, p) => {
        const all = inbox();
        await b.subscribe(`${p}.>`, all.handler);
        await t.settled(a, 1);
        for (const [topic, rule] of [
          [`${p}..x`, 'empty segment'],
          [`${p}.*`, 'wildcard'],
          [`${p}.a b`, 'outside A-Z'],
          ['', 'empty'],
        ] as const) {
          await assert.rejects(a.publish(topic, 1), (e: unknown) => e instanceof MicroError && e.code === 400 && e.detail.includes(rule), topic);
        }
        await assert.rejects(b.subscribe(`${p}.>.x`, all.handler), (e: unknown) => e instanceof MicroError && e.code === 400 && e.detail.includes('> must be the last'));
        await assert.rejects(b.subscribe(`${p}.a*`, all.handler), (e: unknown) => e instanceof MicroError && e.code === 400 && e.detail.includes('stand alone'));
        await assert.rejects(a.publish(`${p}.big`, { n: 10n }), (e: unknown) => e instanceof MicroError && e.code === 400);
        const cycle: Record<string, unknown> = {};
        cycle.self = cycle;
        await assert.rejects(a.publish(`${p}.cycle`, cycle), (e: unknown) => e instanceof MicroError && e.code === 400);
        await assert.rejects(a.publish(`${p}.meta`, 1, { metadata: { 'bad key': 'x' } }), (e: unknown) => e instanceof MicroError && e.code === 400);
        await a.publish(`${p}.ok`, 'ok');
        await waitUntil(() => all.got.length >= 1, 5000, 'the good message');
        assert.deepEqual(all.got.map((r) => r.message), ['ok']);
      }));

    test(`${name} — a throwing handler is restarted, its message retried, and the subscription keeps going`, () =>
      withPair(async (a, b, t, p) => {
        const seen: Array<{ m: unknown; attempt: number }> = [];
        const restarts: string[] = [];
        b.system.events.on('actor-restarted', (e) => restarts.push(e.actor));
        await b.subscribe(`${p}.flaky`, (m: unknown, d) => {
          seen.push({ m, attempt: d.attempt });
          if (m === 'once' && d.attempt === 1) throw new Error('boom');
        });
        await t.settled(a, 1);
        await a.publish(`${p}.flaky`, 'once');
        await a.publish(`${p}.flaky`, 'next');
        await waitUntil(() => seen.some((s) => s.m === 'once' && s.attempt === 2) && seen.some((s) => s.m === 'next'), 10_000, 'retry and next');
        assert.ok(
          restarts.some((a) => a.startsWith('/user/subscriptions/')),
          `the subscription's actor was restarted: ${restarts.join(', ')}`,
        );
      }));

    test(`${name} — a message whose handler always throws is dead-lettered after maxAttempts, with the reason`, () =>
      withPair(async (a, b, t, p) => {
        const letters = inbox();
        await a.subscribe('micro.deadletter', letters.handler);
        const ok = inbox();
        let tries = 0;
        await b.subscribe(
          `${p}.poison`,
          (m: unknown, d) => {
            if (m === 'poison') {
              tries++;
              throw new Error(`bad input ${d.attempt}`);
            }
            ok.handler(m, d);
          },
          { maxAttempts: 2 },
        );
        await t.settled(a, 1);
        await t.settled(b, 1);
        await a.publish(`${p}.poison`, 'poison');
        await a.publish(`${p}.poison`, 'fine');
        await waitUntil(() => letters.got.some((l) => (l.message as { topic: string }).topic === `${p}.poison`), 10_000, 'a dead letter');
        await waitUntil(() => ok.got.length === 1, 5000, 'the next message');
        const letter = (letters.got.find((l) => (l.message as { topic: string }).topic === `${p}.poison`) as Received).message as Record<string, unknown>;
        assert.equal(letter.reason, 'handler failed');
        assert.equal(letter.attempts, 2);
        assert.equal(letter.data, 'poison');
        assert.match(String(letter.error), /bad input 2/);
        assert.equal(tries, 2);
      }));

    test(`${name} — publish and delivery pass through the middleware chain with their metadata`, async () => {
      const events: string[] = [];
      const tracing: Middleware = {
        name: 'test-tracing',
        publish: (next) => (out) => {
          events.push(`publish ${out.topic}`);
          out.metadata = { ...out.metadata, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
          return next(out);
        },
        subscribe: (next) => (d) => {
          events.push(`deliver ${d.topic} ${d.metadata.traceparent} ${d.metadata['x-user']}`);
          return next(d);
        },
      };
      await withPair(
        async (a, b, t, p) => {
          const got = inbox();
          await b.subscribe(`${p}.traced`, got.handler);
          await t.settled(a, 1);
          await a.publish(`${p}.traced`, 'hi', { metadata: { 'x-user': 'ada' } });
          await waitUntil(() => got.got.length === 1, 5000, 'the delivery');
          assert.deepEqual(events, [`publish ${p}.traced`, `deliver ${p}.traced 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01 ada`]);
          assert.equal((got.got[0] as Received).delivery.metadata.traceparent?.startsWith('00-0af7'), true);
        },
        { middleware: [tracing] },
      );
    });

    test(`${name} — another codec travels with its content type`, () =>
      withPair(async (a, b, t, p) => {
        const got = inbox();
        await b.subscribe(`${p}.packed`, got.handler);
        await t.settled(a, 1);
        await a.publish(`${p}.packed`, { bytes: Buffer.from([1, 2, 3]), n: 7 }, { codec: 'application/msgpack' });
        await waitUntil(() => got.got.length === 1, 5000, 'the delivery');
        const r = got.got[0] as Received;
        assert.equal(r.delivery.contentType, 'application/msgpack');
        assert.equal((r.message as { n: number }).n, 7);
        assert.deepEqual([...(r.message as { bytes: Uint8Array }).bytes], [1, 2, 3]);
      }));
  });
}
