import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as nats from 'nats';
import { JetStreamPublisher } from '../../src/plugins/nats/js-publisher.ts';
import { engineAvailable, runId } from '../support/engines.ts';

let nc: nats.NatsConnection | undefined;
let jsm: nats.JetStreamManager;
const id = runId();
const stream = `JSPUB_${id}`;

before(async () => {
  if (!(await engineAvailable('NATS', 4222))) return;
  nc = await nats.connect({ servers: '127.0.0.1:4222' });
  jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: stream, subjects: [`${id}.>`], storage: nats.StorageType.Memory });
  await jsm.streams.add({ name: `${stream}_ONE`, subjects: [`${id}one`], storage: nats.StorageType.Memory, max_msgs: 1, discard: nats.DiscardPolicy.New });
});
after(async () => {
  if (nc === undefined) return;
  for (const name of [stream, `${stream}_ONE`]) await jsm.streams.delete(name).catch(() => {});
  await nc.close();
});

const text = (s: string) => new TextEncoder().encode(s);
const failsWith = (code: string, pattern: RegExp) => (err: unknown) => (err as { code?: string }).code === code && pattern.test((err as Error).message);

test('jetstream publisher — concurrent publishes each resolve the sequence their message was stored at; a repeated Nats-Msg-Id resolves the first one', { timeout: 20_000 }, async (t) => {
  if (nc === undefined) return t.skip('NATS is not reachable');
  const publisher = new JetStreamPublisher(nc, nats, 5000);
  const sequences = await Promise.all(Array.from({ length: 300 }, (_, i) => publisher.publish(`${id}.seq`, text(`m${i}`), nats.headers())));
  assert.equal(new Set(sequences).size, 300);
  for (const i of [0, 1, 150, 299]) {
    const stored = await jsm.streams.getMessage(stream, { seq: sequences[i] as number });
    assert.equal(new TextDecoder().decode(stored.data), `m${i}`);
  }
  const withId = () => {
    const h = nats.headers();
    h.set('Nats-Msg-Id', `${id}-once`);
    return h;
  };
  const first = await publisher.publish(`${id}.seq`, text('once'), withId());
  assert.equal(await publisher.publish(`${id}.seq`, text('once again'), withId()), first);
  assert.equal((await jsm.streams.info(stream)).state.messages, 301);
  publisher.close();
});

test('jetstream publisher — no stream: 503 at once; a refusal by the stream: its error; no reply at all: TIMEOUT after the timeout', { timeout: 20_000 }, async (t) => {
  if (nc === undefined) return t.skip('NATS is not reachable');
  const publisher = new JetStreamPublisher(nc, nats, 300);
  let t0 = performance.now();
  await assert.rejects(publisher.publish(`${id}nostream`, text('x'), nats.headers()), failsWith('503', /no responders/));
  assert.ok(performance.now() - t0 < 250, 'no responders is not a timeout');
  await publisher.publish(`${id}one`, text('1'), nats.headers());
  await assert.rejects(publisher.publish(`${id}one`, text('2'), nats.headers()), (err: unknown) => /maximum messages/i.test((err as Error).message));
  // A core subscriber that never answers: the server has a responder, so only the timeout ends the publish.
  const silent = nc.subscribe(`${id}silent`, { callback: () => {} });
  t0 = performance.now();
  const outcomes = await Promise.allSettled([publisher.publish(`${id}silent`, text('a'), nats.headers()), publisher.publish(`${id}.after`, text('b'), nats.headers())]);
  assert.ok(outcomes[0].status === 'rejected' && failsWith('TIMEOUT', /timeout/)(outcomes[0].reason), String(outcomes[0]));
  assert.ok(performance.now() - t0 >= 290, 'the timeout waits publishTimeoutMs');
  assert.equal(outcomes[1].status, 'fulfilled', 'a publish answered meanwhile is not timed out with its neighbour');
  silent.unsubscribe();
  publisher.close();
});

test('jetstream publisher — close() takes no more publishes and lets those in flight settle; a connection that closes fails its pending publishes at once', { timeout: 20_000 }, async (t) => {
  if (nc === undefined) return t.skip('NATS is not reachable');
  const publisher = new JetStreamPublisher(nc, nats, 5000);
  const inFlight = publisher.publish(`${id}.close`, text('x'), nats.headers());
  publisher.close();
  assert.equal(typeof (await inFlight), 'number');
  await assert.rejects(publisher.publish(`${id}.close`, text('y'), nats.headers()), failsWith('CONNECTION_CLOSED', /closed/));

  const own = await nats.connect({ servers: '127.0.0.1:4222' });
  const silent = own.subscribe(`${id}silent2`, { callback: () => {} });
  await own.flush();
  const onOwn = new JetStreamPublisher(own, nats, 5000);
  const pending = onOwn.publish(`${id}silent2`, text('z'), nats.headers());
  const t0 = performance.now();
  await own.close();
  await assert.rejects(pending, failsWith('CONNECTION_CLOSED', /connection closed/));
  assert.ok(performance.now() - t0 < 2000, 'not left to its timeout');
  assert.equal(silent.isClosed(), true);
});
