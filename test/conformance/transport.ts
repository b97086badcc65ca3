/**
 * The Transport conformance suite: every transport (TCP, memory, plugins) runs it through `describeTransport`.
 * Also exports the small helpers the transport unit tests share.
 */
import net from 'node:net';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRecordingLogger } from '../../src/actors/logger.ts';
import { MicroError } from '../../src/mesh/errors.ts';
import type { ConnectionOptions } from '../../src/mesh/transport/frame-connection.ts';
import {
  type Connection,
  type ConnectionHandler,
  type Frame,
  FrameType,
  type Listener,
  type Transport,
} from '../../src/mesh/transport/transport.ts';
import { waitUntil } from '../support/wait.ts';

/** What a transport under test provides; `factory` makes a fresh one (its own network) for each test. */
export interface TransportFixture {
  /** A transport that can reach every other one this fixture created. */
  create(options?: ConnectionOptions): Transport;
  /** Listening here binds a fresh free address. */
  listenAddress: string;
  /** An address nothing listens on. */
  closedAddress(): Promise<string>;
  /**
   * Whether a peer's writes back up while this side does not read (a byte stream's backpressure). A transport over a
   * broker (NATS) has none: it bounds what it holds instead, which its own tests cover. @default true
   */
  backpressure?: boolean;
}

const WAIT_MS = 5000;

/** Resolves once `predicate` holds; rejects naming `what` after `ms`. */
export function waitFor(predicate: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  return waitUntil(predicate, ms, what);
}

/** `promise`, or a rejection naming `what` after `ms`. */
export async function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A handler that records everything it hears. */
export class Inbox implements ConnectionHandler {
  readonly frames: Frame[] = [];
  readonly closes: Array<Error | undefined> = [];
  drains = 0;
  echoOn: Connection | undefined;

  onFrame(frame: Frame): void {
    this.frames.push(frame);
    this.echoOn?.send(frame);
  }

  onClose(error: Error | undefined): void {
    this.closes.push(error);
  }

  onDrain(): void {
    this.drains++;
  }

  untilFrames(count: number, ms = WAIT_MS): Promise<void> {
    return waitFor(() => this.frames.length >= count, `${count} frames (have ${this.frames.length})`, ms);
  }

  untilClosed(ms = WAIT_MS): Promise<void> {
    return waitFor(() => this.closes.length > 0, 'onClose', ms);
  }
}

export const frameOf = (streamId: number, body: Uint8Array, header: Uint8Array = new Uint8Array(0)): Frame => ({
  type: FrameType.MESSAGE,
  flags: 0,
  streamId,
  header,
  body,
});

/** `size` bytes of a pattern that differs by `seed`. */
export function pattern(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

export interface Pair {
  listener: Listener;
  server: Connection;
  client: Connection;
  serverInbox: Inbox;
  clientInbox: Inbox;
}

/** Listens on `server`, dials from `client`, and gives both ends an Inbox. */
export async function connectPair(server: Transport, client: Transport, address: string): Promise<Pair> {
  const serverInbox = new Inbox();
  let accepted: Connection | undefined;
  const listener = await server.listen(address, (conn) => {
    accepted = conn;
    conn.setHandler(serverInbox);
  });
  const clientInbox = new Inbox();
  const conn = await client.dial(listener.address);
  conn.setHandler(clientInbox);
  await waitFor(() => accepted !== undefined, 'the accepted connection');
  return { listener, server: accepted as Connection, client: conn, serverInbox, clientInbox };
}

const hasReason = (reason: string) => (err: unknown) => err instanceof MicroError && err.reason === reason;

/** A loopback TCP address nothing listens on (bound, then closed). */
export async function closedTcpAddress(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

export function describeTransport(name: string, factory: () => TransportFixture): void {
  describe(`Transport conformance — ${name}`, () => {
    // Backpressure tests are only for transports that have it; a broker transport's bound is tested on its own.
    const backpressureTest = factory().backpressure === false ? () => {} : test;
    const withTransports = async (
      options: { server?: ConnectionOptions; client?: ConnectionOptions },
      body: (server: Transport, client: Transport, fixture: TransportFixture) => Promise<void>,
    ): Promise<void> => {
      const fixture = factory();
      const server = fixture.create(options.server);
      const client = fixture.create(options.client);
      try {
        await body(server, client, fixture);
      } finally {
        await client.close();
        await server.close();
      }
    };

    test(`${name} — frames of every size round-trip in order, both ways`, async () => {
      await withTransports({}, async (server, client, fixture) => {
        const pair = await connectPair(server, client, fixture.listenAddress);
        pair.serverInbox.echoOn = pair.server;
        const headers = [0, 1, 300, 65_535];
        const bodies = [0, 1, 7, 100, 1000, 16_384, 65_535, 65_536, 100_003, 1 << 20];
        const sent: Frame[] = [];
        for (const [i, bodySize] of bodies.entries()) {
          const header = pattern(headers[i % headers.length], i);
          sent.push({ type: FrameType.REQUEST, flags: i, streamId: i === 1 ? 0xffff_ffff : i, header, body: pattern(bodySize, i) });
        }
        const maxHeader = pattern(65_535, 99);
        sent.push(frameOf(12345, pattern(4 * 1024 * 1024 - 8 - maxHeader.length, 3), maxHeader));
        for (const frame of sent) assert.equal(typeof pair.client.send(frame), 'boolean');
        await pair.clientInbox.untilFrames(sent.length, 20_000);
        for (const [i, got] of pair.clientInbox.frames.entries()) {
          const want = sent[i];
          assert.equal(got.type, want.type, `type of frame ${i}`);
          assert.equal(got.flags, want.flags, `flags of frame ${i}`);
          assert.equal(got.streamId, want.streamId, `stream id of frame ${i}`);
          assert.ok(Buffer.from(got.header).equals(want.header), `header of frame ${i}`);
          assert.ok(Buffer.from(got.body).equals(want.body), `body of frame ${i}`);
        }
        assert.equal(pair.clientInbox.frames.length, sent.length);
      });
    });

    test(`${name} — many frames sent in one tick arrive in order`, async () => {
      await withTransports({}, async (server, client, fixture) => {
        const pair = await connectPair(server, client, fixture.listenAddress);
        pair.serverInbox.echoOn = pair.server;
        const count = 20_000;
        const body = Buffer.alloc(4);
        for (let i = 0; i < count; i++) {
          body.writeUInt32BE(i);
          pair.client.send(frameOf(i, body));
        }
        await pair.clientInbox.untilFrames(count);
        const order = (frames: Frame[]) => frames.every((f, i) => f.streamId === i && Buffer.from(f.body).readUInt32BE() === i);
        assert.ok(order(pair.serverInbox.frames), 'server saw frames in send order');
        assert.ok(order(pair.clientInbox.frames), 'client saw echoes in send order');
      });
    });

    for (const side of ['client', 'server'] as const) {
      test(`${name} — close from the ${side} delivers what was sent, then fires onClose once on both ends`, async () => {
        await withTransports({}, async (server, client, fixture) => {
          const pair = await connectPair(server, client, fixture.listenAddress);
          const [closer, other, otherInbox] =
            side === 'client' ? [pair.client, pair.server, pair.serverInbox] : [pair.server, pair.client, pair.clientInbox];
          for (let i = 0; i < 3; i++) closer.send(frameOf(i, pattern(10, i)));
          closer.close();
          assert.equal(closer.closed, true);
          await pair.clientInbox.untilClosed();
          await pair.serverInbox.untilClosed();
          assert.equal(otherInbox.frames.length, 3, 'frames sent before close arrive');
          closer.close();
          other.close(new Error('late'));
          await new Promise((resolve) => setImmediate(resolve));
          assert.deepEqual(pair.clientInbox.closes, [undefined]);
          assert.deepEqual(pair.serverInbox.closes, [undefined]);
          assert.equal(other.closed, true);
          assert.throws(() => closer.send(frameOf(1, pattern(1, 1))), hasReason('UNAVAILABLE'));
        });
      });
    }

    test(`${name} — close(error) hands the error to the local handler`, async () => {
      await withTransports({}, async (server, client, fixture) => {
        const pair = await connectPair(server, client, fixture.listenAddress);
        const error = new Error('going away');
        pair.client.close(error);
        await pair.serverInbox.untilClosed();
        assert.deepEqual(pair.clientInbox.closes, [error]);
      });
    });

    test(`${name} — a frame over the limit on send throws PAYLOAD_TOO_LARGE and writes nothing`, async () => {
      await withTransports({ client: { maxFrameBytes: 1024 } }, async (server, client, fixture) => {
        const pair = await connectPair(server, client, fixture.listenAddress);
        assert.throws(() => pair.client.send(frameOf(1, pattern(1017, 1))), hasReason('PAYLOAD_TOO_LARGE'));
        assert.equal(pair.client.bufferedBytes, 0);
        pair.client.send(frameOf(2, pattern(1016, 2)));
        await pair.serverInbox.untilFrames(1);
        assert.equal(pair.serverInbox.frames[0].streamId, 2, 'the oversized frame never reached the peer');
        assert.equal(pair.client.closed, false);
      });
    });

    test(`${name} — a frame over the limit on receive closes that connection; the listener serves a new one`, async () => {
      await withTransports({ server: { maxFrameBytes: 1024 } }, async (server, client, fixture) => {
        const pair = await connectPair(server, client, fixture.listenAddress);
        pair.client.send(frameOf(1, pattern(2000, 1)));
        await pair.serverInbox.untilClosed();
        await pair.clientInbox.untilClosed();
        assert.ok(hasReason('FRAME_TOO_LARGE')(pair.serverInbox.closes[0]), String(pair.serverInbox.closes[0]));
        assert.equal(pair.serverInbox.frames.length, 0);
        assert.equal(server.stats().protocolErrors, 1);
        const again = await client.dial(pair.listener.address);
        again.setHandler(new Inbox());
        again.send(frameOf(7, pattern(100, 7)));
        await pair.serverInbox.untilFrames(1);
        assert.equal(pair.serverInbox.frames[0].streamId, 7, 'the new connection is served');
        assert.equal(again.closed, false);
      });
    });

    test(`${name} — dial to an address nobody listens on fails quickly with CONNECT_FAILED naming it`, async () => {
      await withTransports({}, async (_server, client, fixture) => {
        const address = await fixture.closedAddress();
        const started = Date.now();
        await assert.rejects(client.dial(address), (err: unknown) => {
          assert.ok(err instanceof MicroError);
          assert.equal(err.reason, 'CONNECT_FAILED');
          assert.equal(err.retryable, true);
          assert.match(err.message, new RegExp(address.replace(/[.[\]]/g, '\\$&')));
          return true;
        });
        assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
      });
    });

    test(`${name} — frames and a close that arrive before setHandler are delivered when it is set`, async () => {
      await withTransports({}, async (server, client, fixture) => {
        let accepted: Connection | undefined;
        const listener = await server.listen(fixture.listenAddress, (conn) => {
          accepted = conn;
        });
        const conn = await client.dial(listener.address);
        for (let i = 0; i < 5; i++) conn.send(frameOf(i, pattern(8, i)));
        conn.close();
        await waitFor(() => server.stats().connectionsClosed === 1, 'the server end to close');
        const inbox = new Inbox();
        (accepted as Connection).setHandler(inbox);
        assert.deepEqual(
          inbox.frames.map((f) => f.streamId),
          [0, 1, 2, 3, 4],
        );
        assert.deepEqual(inbox.closes, [undefined]);
      });
    });

    test(`${name} — PING and PONG stay inside the connection and keep it alive`, async () => {
      const beat = { heartbeatIntervalMs: 10, heartbeatTimeoutMs: 2000 };
      await withTransports({ server: beat, client: beat }, async (server, client, fixture) => {
        const pair = await connectPair(server, client, fixture.listenAddress);
        await waitFor(() => server.stats().framesIn >= 5 && client.stats().framesIn >= 5, 'heartbeats both ways');
        assert.equal(pair.serverInbox.frames.length, 0);
        assert.equal(pair.clientInbox.frames.length, 0);
        assert.equal(pair.client.closed || pair.server.closed, false);
      });
    });

    backpressureTest(`${name} — send returns false past the high-water mark and onDrain fires once written`, async () => {
      const hwm = 64 * 1024;
      await withTransports({ client: { highWaterMarkBytes: hwm } }, async (server, client, fixture) => {
        const pair = await connectPair(server, client, fixture.listenAddress);
        let sent = 0;
        let accepted = true;
        while (accepted && sent < 5000) {
          accepted = pair.client.send(frameOf(sent, pattern(16 * 1024, sent)));
          sent++;
        }
        assert.equal(accepted, false, 'send reported backpressure');
        assert.ok(pair.client.bufferedBytes >= hwm);
        assert.equal(pair.clientInbox.drains, 0, 'onDrain is not called synchronously');
        await waitFor(() => pair.clientInbox.drains === 1, 'onDrain');
        await pair.serverInbox.untilFrames(sent);
      });
    });

    backpressureTest(`${name} — while reading is paused the peer's writes back up; after resume everything arrives in order`, async () => {
      const hwm = 64 * 1024;
      await withTransports({ client: { highWaterMarkBytes: hwm } }, async (server, client, fixture) => {
        const pair = await connectPair(server, client, fixture.listenAddress);
        pair.server.pauseReading();
        pair.server.pauseReading();
        const delivered = pair.serverInbox.frames.length;
        const body = pattern(16 * 1024, 5);
        let sent = 0;
        let stuck = false;
        while (!stuck && sent < 20_000) {
          if (pair.client.send(frameOf(sent++, body))) continue;
          await new Promise((resolve) => setImmediate(resolve));
          stuck = pair.client.bufferedBytes >= hwm;
        }
        assert.ok(stuck, `the sender backed up (sent ${sent} frames, ${pair.client.bufferedBytes} bytes buffered)`);
        for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
        assert.equal(pair.serverInbox.frames.length, delivered, 'nothing delivered while paused');
        assert.ok(pair.client.bufferedBytes >= hwm, 'still backed up');
        pair.server.resumeReading();
        await pair.serverInbox.untilFrames(sent, 20_000);
        assert.ok(
          pair.serverInbox.frames.every((f, i) => f.streamId === i),
          'every frame, in send order',
        );
        await waitFor(() => pair.clientInbox.drains > 0, 'onDrain once the peer reads again');
        assert.equal(pair.client.closed || pair.server.closed, false);
      });
    });

    backpressureTest(`${name} — a peer that stops reading: send past maxBufferedBytes throws UNAVAILABLE and closes`, async () => {
      const maxBufferedBytes = 2 * 1024 * 1024;
      const client = { highWaterMarkBytes: 64 * 1024, maxFrameBytes: 256 * 1024, maxBufferedBytes };
      await withTransports({ client }, async (server, clientTransport, fixture) => {
        const pair = await connectPair(server, clientTransport, fixture.listenAddress);
        pair.server.pauseReading();
        const body = pattern(64 * 1024, 6);
        let thrown: unknown;
        let most = 0;
        // At most 64 MiB: far past the cap plus what the kernel buffers on a loopback connection.
        for (let i = 0; i < 1024 && thrown === undefined; i++) {
          try {
            pair.client.send(frameOf(i, body));
            most = Math.max(most, pair.client.bufferedBytes);
          } catch (err) {
            thrown = err;
          }
          if (i % 8 === 7) await new Promise((resolve) => setImmediate(resolve));
        }
        assert.ok(hasReason('UNAVAILABLE')(thrown), `send threw UNAVAILABLE, got ${String(thrown)}`);
        assert.ok(most <= maxBufferedBytes, `buffered at most the cap: ${most}`);
        assert.equal(pair.client.closed, true);
        assert.deepEqual(pair.clientInbox.closes, [thrown]);
        assert.throws(() => pair.client.send(frameOf(1, body)), hasReason('UNAVAILABLE'));
        pair.server.resumeReading();
        await pair.serverInbox.untilClosed();
      });
    });

    backpressureTest(`${name} — frames sent before setHandler back up the sender, not this side; then all arrive in order`, async () => {
      const hwm = 64 * 1024;
      await withTransports({ client: { highWaterMarkBytes: hwm } }, async (server, client, fixture) => {
        let accepted: Connection | undefined;
        const listener = await server.listen(fixture.listenAddress, (conn) => {
          accepted = conn;
        });
        const conn = await client.dial(listener.address);
        conn.setHandler(new Inbox());
        const body = pattern(16 * 1024, 7);
        let sent = 0;
        let stuck = false;
        while (!stuck && sent < 20_000) {
          if (conn.send(frameOf(sent++, body))) continue;
          await new Promise((resolve) => setImmediate(resolve));
          stuck = conn.bufferedBytes >= hwm;
        }
        assert.ok(stuck, `the sender backed up after ${sent} frames`);
        const inbox = new Inbox();
        (accepted as Connection).setHandler(inbox);
        await inbox.untilFrames(sent, 20_000);
        assert.ok(
          inbox.frames.every((f, i) => f.streamId === i),
          'every frame, in send order',
        );
      });
    });

    test(`${name} — a throwing handler is logged and the connection keeps delivering`, async () => {
      const logger = createRecordingLogger();
      await withTransports({ server: { logger } }, async (server, client, fixture) => {
        const pair = await connectPair(server, client, fixture.listenAddress);
        let seen = 0;
        pair.server.setHandler({
          onFrame: () => {
            seen++;
            if (seen === 1) throw new Error('handler bug');
          },
          onClose: () => {},
        });
        pair.client.send(frameOf(1, pattern(4, 1)));
        pair.client.send(frameOf(2, pattern(4, 2)));
        await waitFor(() => seen === 2, 'both frames');
        assert.equal(pair.server.closed, false);
        const entry = logger.entries.find((e) => e.level === 'error');
        assert.equal((entry?.fields.err as Error | undefined)?.message, 'handler bug');
      });
    });

    test(`${name} — stats count connections, frames and bytes`, async () => {
      const quiet = { heartbeatIntervalMs: 0 };
      await withTransports({ server: quiet, client: quiet }, async (server, client, fixture) => {
        const pair = await connectPair(server, client, fixture.listenAddress);
        for (let i = 0; i < 10; i++) pair.client.send(frameOf(i, pattern(88, i)));
        await pair.serverInbox.untilFrames(10);
        assert.deepEqual(client.stats(), { ...client.stats(), connectionsOpened: 1, framesOut: 10, bytesOut: 1000 });
        assert.deepEqual(server.stats(), { ...server.stats(), connectionsOpened: 1, framesIn: 10, bytesIn: 1000 });
        pair.client.close();
        await pair.serverInbox.untilClosed();
        assert.equal(client.stats().connectionsClosed, 1);
        assert.equal(server.stats().connectionsClosed, 1);
      });
    });

    test(`${name} — closing the transport closes its connections and listeners`, async () => {
      const fixture = factory();
      const server = fixture.create();
      const client = fixture.create();
      try {
        const pair = await connectPair(server, client, fixture.listenAddress);
        await server.close();
        await pair.clientInbox.untilClosed();
        assert.equal(pair.serverInbox.closes.length, 1);
        await assert.rejects(client.dial(pair.listener.address), hasReason('CONNECT_FAILED'));
        await assert.rejects(server.dial(pair.listener.address), hasReason('UNAVAILABLE'));
      } finally {
        await client.close();
        await server.close();
      }
    });
  });
}
