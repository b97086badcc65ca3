import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { connect, type NatsConnection } from 'nats';
import type { MicroError } from '../../src/mesh/errors.ts';
import { createNatsTransport, type NatsTransport, type NatsTransportOptions } from '../../src/plugins/nats/transport.ts';
import { connectPair, describeTransport, frameOf, type Pair, pattern, waitFor } from '../conformance/transport.ts';
import { engineAvailable, runId } from '../support/engines.ts';

const available = await engineAvailable('NATS', 4222);
if (available) {
  // Two connections, as two processes would have; transports alternate between them.
  const ncs = [await connect({ servers: '127.0.0.1:4222' }), await connect({ servers: '127.0.0.1:4222' })];
  after(() => Promise.all(ncs.map((nc) => nc.close())));
  const prefix = `_MMT_${runId()}`;
  let made = 0;
  describeTransport('nats', () => ({
    create: (options) => {
      made++;
      return createNatsTransport({ nc: ncs[made % 2] as (typeof ncs)[0], nodeId: `n${made}` }, { ...options, subjectPrefix: prefix, discovery: false });
    },
    listenAddress: '127.0.0.1:0',
    closedAddress: async () => `nats://nobody-${runId()}`,
    backpressure: false,
  }));
}

interface NatsPair {
  pair: Pair;
  /** The server's and the client's connections to NATS, as two processes have. */
  nc: readonly [NatsConnection, NatsConnection];
  server: NatsTransport;
  client: NatsTransport;
}

/** A connected pair of transports on their own NATS connections and subject prefix; all closed after `body`. */
async function withNatsPair(options: { server?: NatsTransportOptions; client?: NatsTransportOptions }, body: (p: NatsPair) => Promise<void>): Promise<void> {
  const nc = [await connect({ servers: '127.0.0.1:4222' }), await connect({ servers: '127.0.0.1:4222' })] as const;
  const base = { subjectPrefix: `_MMT_${runId()}`, discovery: false };
  const server = createNatsTransport({ nc: nc[0], nodeId: 's' }, { ...base, ...options.server });
  const client = createNatsTransport({ nc: nc[1], nodeId: 'c' }, { ...base, ...options.client });
  try {
    await body({ pair: await connectPair(server, client, '127.0.0.1:0'), nc, server, client });
  } finally {
    await client.close();
    await server.close();
    await Promise.all(nc.map((c) => (c.isClosed() ? undefined : c.close())));
  }
}

test('nats transport — NATS has no backpressure: while reading is paused, arrivals are held up to maxBufferedBytes, then that connection closes on both ends', { skip: !available }, async () => {
  await withNatsPair({ server: { maxBufferedBytes: 256 * 1024 } }, async ({ pair, nc }) => {
    pair.server.pauseReading();
    const body = pattern(16 * 1024, 3);
    for (let i = 0; i < 8; i++) pair.client.send(frameOf(i, body));
    // Once both flushes return, the server has routed the frames to the listener's connection.
    await nc[1].flush();
    await nc[0].flush();
    assert.equal(pair.serverInbox.frames.length, 0, 'nothing delivered while paused');
    pair.server.resumeReading();
    await pair.serverInbox.untilFrames(8);
    pair.server.pauseReading();
    for (let i = 0; i < 64 && !pair.client.closed; i++) {
      pair.client.send(frameOf(i, body));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await pair.serverInbox.untilClosed();
    await pair.clientInbox.untilClosed();
    assert.match(String(pair.serverInbox.closes[0]), /while reading was paused \(limit 262144\)/);
    assert.match(String(pair.clientInbox.closes[0]), /reset by peer: .*while reading was paused/);
  });
});

test('nats transport — when the peer is gone from NATS (its process died), the next frame sent to it breaks the connection at once', { skip: !available }, async () => {
  await withNatsPair({ client: { heartbeatIntervalMs: 60_000 } }, async ({ pair, nc }) => {
    pair.client.send(frameOf(1, pattern(10, 1)));
    await pair.serverInbox.untilFrames(1);
    // The server's process dies: its connection to NATS, and with it its subscription, is gone.
    await nc[0].close();
    const started = performance.now();
    pair.client.send(frameOf(2, pattern(10, 2)));
    await pair.clientInbox.untilClosed(2000);
    assert.ok(performance.now() - started < 2000);
    assert.match(String(pair.clientInbox.closes[0]), /the peer is gone/);
    assert.equal((pair.clientInbox.closes[0] as MicroError).code, 503);
  });
});

test('nats transport — a connection waiting on a peer whose process died breaks within about probeAfterMs, sending nothing more', { skip: !available }, async () => {
  await withNatsPair({ client: { heartbeatIntervalMs: 60_000, probeAfterMs: 200 } }, async ({ pair, nc }) => {
    // A request is out and its answer never comes: the server's process dies right after taking it.
    pair.client.send(frameOf(1, pattern(10, 1)));
    await pair.serverInbox.untilFrames(1);
    await nc[0].close();
    await pair.clientInbox.untilClosed(2000);
    assert.match(String(pair.clientInbox.closes[0]), /the peer is gone/);
  });
});

test('nats transport — a live peer that is probed stays connected and hears nothing of it', { skip: !available }, async () => {
  await withNatsPair({ client: { probeAfterMs: 50 } }, async ({ pair, nc, server }) => {
    pair.client.send(frameOf(1, pattern(10, 1)));
    await pair.serverInbox.untilFrames(1);
    const bytesBefore = server.stats().bytesIn;
    const sentBefore = nc[1].stats().outMsgs;
    // Three probes go out while the client still waits for an answer.
    await waitFor(() => nc[1].stats().outMsgs >= sentBefore + 3, 'three probes');
    await nc[1].flush();
    await nc[0].flush();
    assert.equal(pair.client.closed || pair.server.closed, false);
    assert.equal(pair.serverInbox.frames.length, 1);
    assert.equal(server.stats().bytesIn, bytesBefore, 'probes reach no connection as bytes');
  });
});
