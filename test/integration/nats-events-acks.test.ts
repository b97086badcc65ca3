import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as nats from 'nats';
import { until } from '../conformance/events.ts';
import { engineAvailable, runId } from '../support/engines.ts';
import { jetStreamFront } from '../support/jetstream.ts';
import { waitUntilAsync } from '../support/wait.ts';

/** Counts what `nc` hands its socket (one write per flush of its outbound buffer) while `fn` runs. */
async function writesDuring(nc: nats.NatsConnection, fn: () => Promise<unknown>): Promise<number> {
  // nats.js internals, for this count only: the connection's transport sends each flush of its outbound buffer.
  const transport = (nc as unknown as { protocol: { transport: { send(frame: Uint8Array): void } } }).protocol.transport;
  const send = transport.send;
  let writes = 0;
  transport.send = function (this: unknown, frame: Uint8Array) {
    writes++;
    return send.call(this, frame);
  };
  try {
    await fn();
  } finally {
    transport.send = send;
  }
  return writes;
}

test('jetstream events — the auto acks of a batch of deliveries leave in a few writes, not one each', { timeout: 30_000 }, async (t) => {
  if (!(await engineAvailable('NATS', 4222))) return t.skip('NATS is not reachable');
  const id = runId();
  const prefix = `EVACK_${id}_`;
  const topic = `${id}.acks`;
  const nc = await nats.connect({ servers: '127.0.0.1:4222' });
  const front = jetStreamFront(nc, prefix);
  try {
    for (let i = 0; i < 200; i++) await front.events.publish(topic, i);
    let handled = 0;
    const writes = await writesDuring(nc, async () => {
      await front.events.consume(topic, { group: 'acks', concurrency: 64, prefetch: 256 }, () => {
        handled++;
      });
      await until('every event handled', () => handled === 200);
      await nc.flush();
    });
    // The consumer's own requests (info, pull) take a few writes; one write per ack would be 200 more.
    assert.ok(writes < 40, `200 acks and the consumer's requests in ${writes} writes`);
    const jsm = await nc.jetstreamManager();
    await waitUntilAsync(async () => (await jsm.consumers.info(`${prefix}${id}`, `acks__${id}_acks`)).num_ack_pending === 0, 8000, 'every ack reached the server');
  } finally {
    await front.close();
    const jsm = await nc.jetstreamManager();
    for await (const s of jsm.streams.list()) if (s.config.name.startsWith(prefix) || s.config.name.startsWith(`KV_${prefix}`)) await jsm.streams.delete(s.config.name);
    await nc.close();
  }
});
