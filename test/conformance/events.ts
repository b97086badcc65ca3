import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { systemClock } from '../../src/actors/clock.ts';
import { silentLogger } from '../../src/actors/logger.ts';
import { createCodecs } from '../../src/mesh/codec/codecs.ts';
import { MicroError } from '../../src/mesh/errors.ts';
import { createEvents } from '../../src/mesh/events/create-events.ts';
import { DeadLetterKey } from '../../src/mesh/events/dead-letter.ts';
import type { EventConsumer, EventDelivery, Events, EventsBackend } from '../../src/mesh/events/events.ts';
import { createActorSystem } from '../../src/supervisor/index.ts';
import { runId } from '../support/engines.ts';
import { waitUntil } from '../support/wait.ts';

/** A back end for one test, and how to remove what it wrote. Topics of each test start with a fresh run id. */
export interface EventsUnderTest {
  readonly backend: EventsBackend;
  /** Opens the same stored streams again as a new back end (a restarted process); absent for memory. */
  readonly reopen?: () => Promise<EventsBackend>;
  /**
   * Another process' view of the same streams, for back ends whose group members may live in different processes;
   * absent where one process owns the streams (file, memory): their members share one front.
   */
  readonly peer?: () => Promise<EventsBackend>;
  readonly cleanup?: () => Promise<void>;
}

/** Waits until `check` holds, failing after `timeoutMs`. */
export function until(what: string, check: () => boolean, timeoutMs = 8000): Promise<void> {
  return waitUntil(check, timeoutMs, what);
}

const badRequest = (pattern: RegExp) => (err: unknown) => err instanceof MicroError && err.code === 400 && pattern.test(err.detail);

/** A front over `backend` on an actor system of its own; `close` stops both. */
export function frontOf(backend: EventsBackend, ownsBackend = true): { events: Events; close(): Promise<void> } {
  const system = createActorSystem({ nodeId: `conformance-${Math.random().toString(36).slice(2, 6)}`, logger: silentLogger });
  const codecs = createCodecs();
  const events = createEvents(backend, { system, codecs, clock: systemClock, log: silentLogger, ownsBackend });
  return {
    events,
    close: async () => {
      await events.close();
      await system.terminate();
      await codecs.close();
    },
  };
}

/**
 * The events contract, run against each back end with real time and short ack waits. Each test gets a fresh back
 * end from `factory` (undefined: the engine is not there, the test skips).
 */
export function describeEvents(name: string, factory: () => Promise<EventsUnderTest | undefined>): void {
  const withEvents =
    (fn: (events: Events, topic: string, under: EventsUnderTest, cleanups: Array<() => Promise<void>>) => Promise<void>) =>
    async (ctx: { skip(message?: string): void }) => {
      const under = await factory();
      if (under === undefined) return ctx.skip(`${name} not available`);
      const front = frontOf(under.backend);
      const cleanups: Array<() => Promise<void>> = [];
      try {
        await fn(front.events, `${runId()}.orders`, under, cleanups);
      } finally {
        await front.close();
        for (const c of cleanups) await c().catch(() => {});
        await under.cleanup?.();
      }
    };
  const collect = async (events: Events, topic: string, group: string, options: Record<string, unknown> = {}, onEvent?: (e: EventDelivery) => unknown) => {
    const got: EventDelivery[] = [];
    const consumer = await events.consume(topic, { group, ackWaitMs: 2000, ...options }, async (e) => {
      got.push(e);
      await onEvent?.(e);
    });
    return { got, consumer };
  };

  describe(`events conformance: ${name}`, () => {
    test('events — publish returns increasing sequences; a consumer gets every event with its data, key, id and metadata', withEvents(async (events, topic) => {
      const s1 = await events.publish(topic, { n: 1 }, { key: 'k1', id: 'id-1', metadata: { 'x-trace': 'abc' } });
      const s2 = await events.publish(topic, { n: 2 });
      assert.ok(s2 > s1, `sequences grow: ${s1} then ${s2}`);
      const { got } = await collect(events, topic, 'g1');
      await until('two events', () => got.length === 2);
      assert.deepEqual(got.map((e) => e.data), [{ n: 1 }, { n: 2 }]);
      const [first] = got as [EventDelivery];
      assert.equal(first.sequence, s1);
      assert.equal(first.key, 'k1');
      assert.equal(first.id, 'id-1');
      assert.equal(first.metadata['x-trace'], 'abc');
      assert.equal(first.deliveryCount, 1);
      assert.equal(first.topic, topic);
      assert.ok(Math.abs(first.time.getTime() - Date.now()) < 60_000);
    }));

    test('events — an acked event is never delivered again to its group; another group gets every event', withEvents(async (events, topic) => {
      for (let i = 0; i < 5; i++) await events.publish(topic, i);
      const a = await collect(events, topic, 'acked', { ackWaitMs: 300 });
      await until('five events', () => a.got.length === 5);
      await a.consumer.stop();
      // A new member of the same group, well past the ack wait, sees only what comes next.
      const again = await collect(events, topic, 'acked', { ackWaitMs: 300 });
      const other = await collect(events, topic, 'other');
      await new Promise((r) => setTimeout(r, 700));
      await events.publish(topic, 'marker');
      await until('the marker', () => again.got.length >= 1 && other.got.length === 6);
      await new Promise((r) => setTimeout(r, 400));
      assert.deepEqual(again.got.map((e) => e.data), ['marker']);
      assert.deepEqual(other.got.map((e) => e.data), [0, 1, 2, 3, 4, 'marker']);
    }));

    test('events — an unsettled event is delivered again after ackWaitMs, not before', withEvents(async (events, topic) => {
      await events.publish(topic, 'slow');
      const times: number[] = [];
      const { got } = await collect(events, topic, 'manual', { ack: 'manual', ackWaitMs: 600 }, () => {
        times.push(performance.now());
      });
      await until('a redelivery', () => got.length >= 2);
      const [first, second] = got as [EventDelivery, EventDelivery];
      assert.equal(first.sequence, second.sequence);
      assert.equal(second.deliveryCount, 2);
      const gap = (times[1] as number) - (times[0] as number);
      // The working() heartbeat stops when the handler returns, so the wait runs from then.
      assert.ok(gap >= 500, `redelivered after ${gap.toFixed(0)} ms, ack wait 600 ms`);
      await second.ack();
    }));

    test('events — a failing handler is retried, then after maxDeliver the event goes to the dead-letter topic with its history', withEvents(async (events, topic) => {
      const seq = await events.publish(topic, { poison: true }, { metadata: { origin: 'test' } });
      await events.publish(topic, { fine: true });
      const dead = `${topic}.dead`;
      const attempts: number[] = [];
      const fine: unknown[] = [];
      await events.consume(topic, { group: 'retry', maxDeliver: 3, retryDelayMs: 20, deadLetter: dead, ackWaitMs: 2000 }, (e) => {
        if ((e.data as { poison?: boolean }).poison) {
          attempts.push(e.deliveryCount);
          throw new Error(`boom ${e.deliveryCount}`);
        }
        fine.push(e.data);
      });
      const dl = await collect(events, dead, 'dlq-reader');
      await until('the dead letter', () => dl.got.length === 1);
      assert.deepEqual(attempts, [1, 2, 3]);
      assert.deepEqual(fine, [{ fine: true }]);
      const letter = dl.got[0] as EventDelivery;
      assert.deepEqual(letter.data, { poison: true });
      assert.equal(letter.metadata[DeadLetterKey.Topic], topic);
      assert.equal(letter.metadata[DeadLetterKey.Sequence], String(seq));
      assert.equal(letter.metadata[DeadLetterKey.Deliveries], '3');
      assert.match(letter.metadata[DeadLetterKey.Error] ?? '', /boom 3/);
      assert.equal(letter.metadata.origin, 'test');
    }));

    test('events — term(reason) dead-letters at once without burning retries; nak(delayMs) redelivers after the delay', withEvents(async (events, topic) => {
      await events.publish(topic, 'poison');
      await events.publish(topic, 'later');
      const dead = `${topic}.dead`;
      const seen: Array<[unknown, number, number]> = [];
      await events.consume(topic, { group: 'settle', ack: 'manual', deadLetter: dead, maxDeliver: 5 }, async (e) => {
        seen.push([e.data, e.deliveryCount, performance.now()]);
        if (e.data === 'poison') return e.term('cannot parse the order');
        if (e.deliveryCount === 1) return e.nak({ delayMs: 300 });
        return e.ack();
      });
      const dl = await collect(events, dead, 'dlq-reader');
      await until('the dead letter and the redelivery', () => dl.got.length === 1 && seen.length === 3);
      assert.equal(dl.got[0]?.metadata[DeadLetterKey.Deliveries], '1');
      assert.match(dl.got[0]?.metadata[DeadLetterKey.Error] ?? '', /terminated: cannot parse the order/);
      const later = seen.filter(([d]) => d === 'later');
      assert.deepEqual(later.map(([, n]) => n), [1, 2]);
      const gap = (later[1]?.[2] as number) - (later[0]?.[2] as number);
      assert.ok(gap >= 250, `nak delay honoured: ${gap.toFixed(0)} ms`);
      assert.equal(seen.filter(([d]) => d === 'poison').length, 1);
    }));

    test('events — a slow handler is kept alive by working(): no other member gets its event meanwhile', withEvents(async (events, topic) => {
      await events.publish(topic, 'long job');
      const deliveries: string[] = [];
      const member = (name: string) =>
        events.consume(topic, { group: 'workers', ackWaitMs: 300 }, async () => {
          deliveries.push(name);
          await new Promise((r) => setTimeout(r, 1200));
        });
      await member('a');
      await member('b');
      await until('one delivery', () => deliveries.length === 1);
      await new Promise((r) => setTimeout(r, 1600));
      assert.equal(deliveries.length, 1, `delivered ${deliveries.length} times: ${deliveries.join(', ')}`);
    }));

    test('events — per-key order holds within a group with concurrency > 1', withEvents(async (events, topic) => {
      const keys = ['a', 'b', 'c'];
      for (let i = 0; i < 30; i++) await events.publish(topic, { key: keys[i % 3], i }, { key: keys[i % 3] });
      const order = new Map<string, number[]>();
      let inFlight = 0;
      let maxInFlight = 0;
      let done = 0;
      await events.consume(topic, { group: 'ordered', concurrency: 4 }, async (e) => {
        const { key, i } = e.data as { key: string; i: number };
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 1 + ((i * 7) % 5)));
        order.set(key, [...(order.get(key) ?? []), i]);
        inFlight--;
        done++;
      });
      await until('thirty events', () => done === 30);
      for (const [key, seen] of order) assert.deepEqual(seen, [...seen].sort((x, y) => x - y), `order of key ${key}`);
      assert.ok(maxInFlight > 1, `handlers ran concurrently (max ${maxInFlight})`);
      assert.ok(maxInFlight <= 3, `at most one per key: ${maxInFlight}`);
    }));

    test('events — per-key order holds across the members of a group, each with concurrency > 1, wherever they run', withEvents(async (events, topic, under, cleanups) => {
      let other = events;
      if (under.peer !== undefined) {
        const front = frontOf(await under.peer());
        cleanups.push(() => front.close());
        other = front.events;
      }
      const keys = ['a', 'b', 'c'];
      for (let i = 0; i < 36; i++) await events.publish(topic, { key: keys[i % 3], i }, { key: keys[i % 3] });
      const order = new Map<string, number[]>();
      const running = new Set<string>();
      const overlaps: string[] = [];
      const byMember = [0, 0];
      const member = (n: number) => async (e: EventDelivery) => {
        const { key, i } = e.data as { key: string; i: number };
        if (running.has(key)) overlaps.push(`${key}#${i}`);
        running.add(key);
        await new Promise((r) => setTimeout(r, 1 + ((i * 7) % 5)));
        order.set(key, [...(order.get(key) ?? []), i]);
        running.delete(key);
        byMember[n]++;
      };
      // Small prefetches spread the events over both members, so that one key's events are held by both at once.
      await events.consume(topic, { group: 'spread', concurrency: 2, prefetch: 2, ackWaitMs: 2000 }, member(0));
      await other.consume(topic, { group: 'spread', concurrency: 2, prefetch: 2, ackWaitMs: 2000 }, member(1));
      await until('36 events', () => (byMember[0] as number) + (byMember[1] as number) === 36, 15_000);
      assert.deepEqual(overlaps, [], 'no two events of one key ran at once');
      for (const [key, seen] of order) assert.deepEqual(seen, [...seen].sort((x, y) => x - y), `order of key ${key}`);
      assert.ok((byMember[0] as number) > 0 && (byMember[1] as number) > 0, `both members handled events: ${byMember.join(' / ')}`);
    }));

    test('events — a consumer of a wildcard topic gets the events of each matching topic (where the back end has wildcards)', withEvents(async (events, topic, under) => {
      if (!under.backend.wildcards) {
        await assert.rejects(events.consume(`${topic}.*`, { group: 'wild' }, () => {}), badRequest(/wildcards/));
        return;
      }
      const one = await collect(events, `${topic}.*`, 'wild-one');
      const rest = await collect(events, `${topic}.>`, 'wild-rest');
      await events.publish(`${topic}.eu`, 'eu');
      await events.publish(`${topic}.us.east`, 'us-east');
      await events.publish(`${topic}x.eu`, 'other');
      // A marker each pattern matches, published last: once it is in, anything else would have come before it.
      await events.publish(`${topic}.eu`, 'marker');
      await until('the markers', () => one.got.at(-1)?.data === 'marker' && rest.got.at(-1)?.data === 'marker');
      assert.deepEqual(one.got.map((e) => [e.topic, e.data]), [[`${topic}.eu`, 'eu'], [`${topic}.eu`, 'marker']]);
      assert.deepEqual(rest.got.map((e) => e.data), ['eu', 'us-east', 'marker']);
    }));

    test('events — a publish retried with the same id is stored once', withEvents(async (events, topic) => {
      const a = await events.publish(topic, 'once', { id: 'order-7' });
      const b = await events.publish(topic, 'once', { id: 'order-7' });
      await events.publish(topic, 'next');
      assert.equal(a, b);
      const { got } = await collect(events, topic, 'dedup');
      await events.publish(topic, 'marker');
      await until('the marker', () => got.at(-1)?.data === 'marker');
      assert.deepEqual(got.map((e) => e.data), ['once', 'next', 'marker']);
    }));

    test('events — a new group starts from a sequence, from a time, or after the last event', withEvents(async (events, topic) => {
      await events.publish(topic, 0);
      const s1 = await events.publish(topic, 1);
      await new Promise((r) => setTimeout(r, 20));
      const t2 = new Date();
      await events.publish(topic, 2);
      const fromSeq = await collect(events, topic, 'from-seq', { from: s1 });
      const fromTime = await collect(events, topic, 'from-time', { from: t2 });
      const fromLast = await collect(events, topic, 'from-last', { from: 'last' });
      await events.publish(topic, 3);
      await until('all three groups', () => fromSeq.got.length === 3 && fromTime.got.length === 2 && fromLast.got.length === 1);
      assert.deepEqual(fromSeq.got.map((e) => e.data), [1, 2, 3]);
      assert.deepEqual(fromTime.got.map((e) => e.data), [2, 3]);
      assert.deepEqual(fromLast.got.map((e) => e.data), [3]);
    }));

    test('events — bad topics and values the codec cannot encode are 400 and store nothing', withEvents(async (events, topic) => {
      await assert.rejects(events.publish(`${topic}..x`, 1), badRequest(/dot-separated/));
      await assert.rejects(events.publish(`${topic}.*`, 1), badRequest(/wildcards/));
      await assert.rejects(events.publish('', 1), badRequest(/non-empty/));
      await assert.rejects(events.publish(`${topic}.a b`, 1), badRequest(/letters, digits/));
      await assert.rejects(events.publish(topic, { n: 10n }), (err: unknown) => err instanceof MicroError && err.code === 400);
      await assert.rejects(events.consume(`${topic}.>.x`, { group: 'g' }, () => {}), badRequest(/last token|wildcards/));
      await assert.rejects(events.consume(topic, { group: 'bad group' }, () => {}), badRequest(/group/));
      await events.publish(topic, 'good');
      const { got } = await collect(events, topic, 'after-bad');
      await events.publish(topic, 'marker');
      await until('the marker', () => got.at(-1)?.data === 'marker');
      assert.deepEqual(got.map((e) => e.data), ['good', 'marker']);
    }));

    test('events — streams and group positions survive a restart of the back end', withEvents(async (events, topic, under, cleanups) => {
      if (under.reopen === undefined) return;
      for (const n of [1, 2, 3]) await events.publish(topic, n, { key: `k${n}` });
      const acked: number[] = [];
      const first = await events.consume(topic, { group: 'durable', ack: 'manual', ackWaitMs: 5000 }, async (e) => {
        if (e.data === 1) {
          await e.ack();
          acked.push(e.sequence);
        }
      });
      await until('the first ack', () => acked.length === 1);
      await first.stop();
      await events.close();
      const again = frontOf(await under.reopen());
      cleanups.push(() => again.close());
      const { got } = await collect(again.events, topic, 'durable', { ackWaitMs: 300 });
      const s4 = await again.events.publish(topic, 4);
      await until('the unacked events and the new one', () => got.length === 3);
      assert.deepEqual(got.map((e) => e.data).sort(), [2, 3, 4]);
      assert.ok(!got.some((e) => e.sequence === acked[0]), 'the acked event is not delivered again');
      assert.ok(s4 > (got.find((e) => e.data === 3)?.sequence ?? Infinity), 'sequences continue after the restart');
      assert.equal(got.find((e) => e.data === 2)?.key, 'k2');
    }));

    test('events — stopping a consumer lets its handler finish, and an unsettled event goes to the next member', withEvents(async (events, topic) => {
      await events.publish(topic, 'handover');
      const firstGot: unknown[] = [];
      let finished = false;
      const first: EventConsumer = await events.consume(topic, { group: 'handover', ack: 'manual', ackWaitMs: 400 }, async (e) => {
        firstGot.push(e.data);
        await new Promise((r) => setTimeout(r, 300));
        finished = true;
      });
      await until('the first member got it', () => firstGot.length === 1);
      await first.stop();
      assert.ok(finished, 'stop() resolves after the running handler finished');
      const { got } = await collect(events, topic, 'handover', { ackWaitMs: 400 });
      await until('redelivery to the next member', () => got.length === 1);
      assert.equal(got[0]?.deliveryCount, 2);
    }));
  });
}
