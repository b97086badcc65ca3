import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { describe, test } from 'node:test';
import { createSimulatedClock } from '../../../../src/actors/clock.ts';
import { createRecordingLogger } from '../../../../src/actors/logger.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { encodeFrame, FrameDecoder } from '../../../../src/mesh/transport/frame-codec.ts';
import { createTcpTransport, parseTcpAddress, type TcpTransport } from '../../../../src/mesh/transport/tcp.ts';
import { type Connection, type Frame, FrameType } from '../../../../src/mesh/transport/transport.ts';
import { connectPair, frameOf, Inbox, pattern, waitFor, within } from '../../../conformance/transport.ts';

/** A raw client socket to `address`, resolved once connected; its close is awaitable. */
async function rawSocket(address: string): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  const { host, port } = parseTcpAddress(address);
  const socket = net.connect({ host, port });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, closed };
}

async function withServer(
  options: Parameters<typeof createTcpTransport>[0],
  body: (ctx: { address: string; accepted: Array<{ conn: Connection; inbox: Inbox }>; transport: TcpTransport }) => Promise<void>,
): Promise<void> {
  const transport = createTcpTransport(options);
  const accepted: Array<{ conn: Connection; inbox: Inbox }> = [];
  try {
    const listener = await transport.listen('127.0.0.1:0', (conn) => {
      const inbox = new Inbox();
      conn.setHandler(inbox);
      accepted.push({ conn, inbox });
    });
    await body({ address: listener.address, accepted, transport });
  } finally {
    await transport.close();
  }
}

/** A well-behaved client still gets served: dial, send, see the frame arrive. */
async function assertStillServes(address: string, accepted: Array<{ inbox: Inbox }>): Promise<void> {
  const client = createTcpTransport();
  try {
    const conn = await client.dial(address);
    conn.setHandler(new Inbox());
    conn.send(frameOf(42, pattern(10, 42)));
    await waitFor(() => accepted.some((a) => a.inbox.frames.some((f) => f.streamId === 42)), 'the good client served');
  } finally {
    await client.close();
  }
}

const unknownTypeHead = Buffer.from([0, 0, 0, 8, 99, 0, 0, 0, 0, 1, 0, 0]);

describe('tcp transport', () => {
  test('tcp — a garbled frame from a raw socket closes that connection, logged with address and reason', async () => {
    const logger = createRecordingLogger();
    await withServer({ logger }, async ({ address, accepted }) => {
      const { socket, closed } = await rawSocket(address);
      const localPort = socket.localPort;
      socket.write(unknownTypeHead);
      await within(closed, 'the raw socket to be closed');
      await waitFor(() => accepted.length === 1 && accepted[0].inbox.closes.length === 1, 'server-side close');
      const error = accepted[0].inbox.closes[0];
      assert.ok(error instanceof MicroError && error.reason === 'PROTOCOL_ERROR', String(error));
      const entry = logger.entries.find((e) => e.level === 'warn');
      assert.ok(entry, 'a warning was logged');
      assert.equal(entry.fields.reason, 'PROTOCOL_ERROR');
      assert.equal(entry.fields.remoteAddress, `127.0.0.1:${localPort}`);
      await assertStillServes(address, accepted);
    });
  });

  test('tcp — random bytes on many raw sockets each close only that connection, counted; the server keeps serving', async () => {
    const transport = createTcpTransport();
    const accepted: Array<{ inbox: Inbox }> = [];
    try {
      const listener = await transport.listen('127.0.0.1:0', (conn) => {
        const inbox = new Inbox();
        conn.setHandler(inbox);
        accepted.push({ inbox });
      });
      const garbage = [
        Buffer.from([0xff, 0xfe, 0x01, 0x02, 0x03]),
        Buffer.from([0, 0, 0, 3, 1, 1, 1]),
        Buffer.from([0, 0, 0, 9, FrameType.REQUEST, 0, 0, 0, 0, 1, 0, 5, 1]),
        Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
        pattern(4096, 7),
      ];
      for (const bytes of garbage) {
        const { socket, closed } = await rawSocket(listener.address);
        socket.write(bytes);
        await within(closed, 'the raw socket to be closed');
      }
      assert.equal(transport.stats().protocolErrors, garbage.length);
      const reasons = accepted.map((a) => (a.inbox.closes[0] as MicroError).reason);
      assert.deepEqual(reasons, ['FRAME_TOO_LARGE', 'FRAME_GARBLED', 'FRAME_GARBLED', 'FRAME_TOO_LARGE', 'FRAME_TOO_LARGE']);
      await assertStillServes(listener.address, accepted);
    } finally {
      await transport.close();
    }
  });

  test('tcp — a peer that ends mid-frame closes the connection with FRAME_GARBLED', async () => {
    await withServer({}, async ({ address, accepted }) => {
      const { socket, closed } = await rawSocket(address);
      socket.end(Buffer.from([0, 0, 0, 20, FrameType.REQUEST, 0]));
      await within(closed, 'the raw socket to be closed');
      await waitFor(() => accepted[0]?.inbox.closes.length === 1, 'server-side close');
      const error = accepted[0].inbox.closes[0] as MicroError;
      assert.equal(error.reason, 'FRAME_GARBLED');
      assert.match(error.message, /ended mid-frame/);
    });
  });

  test('tcp — a raw socket trickling a 1 MiB frame a byte a second is closed at the 10 s frame deadline', async () => {
    const clock = createSimulatedClock();
    const logger = createRecordingLogger();
    const options = { clock, logger, heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 3000, frameTimeoutMs: 10_000 };
    await withServer(options, async ({ address, accepted, transport }) => {
      const { socket, closed } = await rawSocket(address);
      socket.setNoDelay(true);
      socket.on('data', () => {});
      const head = Buffer.from([0, 0x10, 0, 8, FrameType.REQUEST, 0, 0, 0, 0, 1, 0, 0]);
      socket.write(head);
      await waitFor(() => transport.stats().bytesIn === 12, 'the head');
      for (let second = 1; second <= 9; second++) {
        clock.advance(1000);
        socket.write(Buffer.from([second]));
        await waitFor(() => transport.stats().bytesIn === 12 + second, `byte ${second}`);
      }
      assert.equal(accepted[0].conn.closed, false, 'heartbeats see bytes arriving');
      clock.advance(1000);
      await within(closed, 'the raw socket to be closed');
      const error = accepted[0].inbox.closes[0] as MicroError;
      assert.equal(error.reason, 'PROTOCOL_ERROR');
      assert.match(error.message, /not complete after 10000 ms/);
      assert.equal(transport.stats().protocolErrors, 1);
      assert.equal(logger.entries.filter((e) => e.level === 'warn').length, 1);
      await assertStillServes(address, accepted);
    });
  });

  test('tcp — a client that never reads its responses is closed once the server has maxBufferedBytes waiting', async () => {
    const maxBufferedBytes = 4 * 1024 * 1024;
    // The cap is raised to the 1 MiB high-water mark plus one largest frame at least: 256 KiB frames leave it at 4 MiB.
    const transport = createTcpTransport({ maxBufferedBytes, maxFrameBytes: 256 * 1024, heartbeatIntervalMs: 0 });
    let server: Connection | undefined;
    let most = 0;
    const closes: Array<Error | undefined> = [];
    try {
      const listener = await transport.listen('127.0.0.1:0', (conn) => {
        server = conn;
        conn.setHandler({
          onFrame: (frame) => {
            if (conn.closed) return;
            try {
              conn.send(frame);
            } catch {
              return;
            }
            most = Math.max(most, conn.bufferedBytes);
          },
          onClose: (error) => closes.push(error),
        });
      });
      const { socket, closed } = await rawSocket(listener.address);
      socket.pause();
      let done = false;
      void closed.then(() => {
        done = true;
      });
      const request = encodeFrame(frameOf(1, pattern(64 * 1024, 1)));
      // Up to 128 MiB of requests, each answered in kind: well past the cap plus both kernels' buffers.
      for (let i = 0; i < 2048 && !done; i++) {
        if (!socket.write(request)) await Promise.race([once(socket, 'drain').catch(() => {}), closed]);
      }
      await within(closed, 'the server to close the raw socket');
      await waitFor(() => closes.length === 1, 'server-side close');
      assert.equal((closes[0] as MicroError).reason, 'UNAVAILABLE');
      assert.ok(most <= maxBufferedBytes, `the server buffered at most the cap: ${most}`);
      assert.equal(server?.closed, true);
    } finally {
      await transport.close();
    }
  });

  test('tcp — a silent peer is pinged, then closed with UNAVAILABLE heartbeat timeout', async () => {
    const clock = createSimulatedClock();
    await withServer({ clock, heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 6000 }, async ({ address, accepted }) => {
      const { socket, closed } = await rawSocket(address);
      const pings: Frame[] = [];
      const decoder = new FrameDecoder();
      socket.on('data', (chunk: Buffer) => decoder.push(chunk, (f) => pings.push(f)));
      await waitFor(() => accepted.length === 1, 'the accepted connection');
      // A PING goes out on every beat that follows one without writes: beats 1, 3 and 5.
      for (let beat = 1; beat <= 5; beat++) {
        clock.advance(1000);
        const want = Math.ceil(beat / 2);
        await waitFor(() => pings.length === want, `ping ${want}`);
      }
      assert.ok(pings.every((f) => f.type === FrameType.PING), 'only PINGs');
      assert.equal(accepted[0].conn.closed, false, '5 s of silence is inside the timeout');
      clock.advance(1000);
      await within(closed, 'the raw socket to be closed');
      const error = accepted[0].inbox.closes[0] as MicroError;
      assert.equal(error.reason, 'UNAVAILABLE');
      assert.match(error.message, /heartbeat timeout: nothing from .* for 6000 ms/);
    });
  });

  test('tcp — heartbeats keep an idle pair of transports connected past the timeout', async () => {
    const beat = { heartbeatIntervalMs: 10, heartbeatTimeoutMs: 50 };
    const server = createTcpTransport(beat);
    const client = createTcpTransport(beat);
    try {
      const pair = await connectPair(server, client, '127.0.0.1:0');
      const started = Date.now();
      await waitFor(() => Date.now() - started > 200 && client.stats().framesIn > 10, 'several timeout periods');
      assert.equal(pair.client.closed, false);
      assert.equal(pair.server.closed, false);
      assert.deepEqual(pair.clientInbox.closes, []);
    } finally {
      await client.close();
      await server.close();
    }
  });

  test('tcp — send returns false while a peer is not reading, and onDrain fires once it reads', async () => {
    const hwm = 256 * 1024;
    const raw = net.createServer({ pauseOnConnect: true });
    let peer: net.Socket | undefined;
    raw.on('connection', (socket) => {
      peer = socket;
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const transport = createTcpTransport({ highWaterMarkBytes: hwm, heartbeatIntervalMs: 0 });
    try {
      const conn = await transport.dial(`127.0.0.1:${(raw.address() as net.AddressInfo).port}`);
      let drains = 0;
      let bufferedAtDrain = -1;
      conn.setHandler({
        onFrame: () => {},
        onClose: () => {},
        onDrain: () => {
          drains++;
          bufferedAtDrain = conn.bufferedBytes;
        },
      });
      const body = pattern(64 * 1024, 1);
      let stuck = false;
      for (let i = 0; i < 2000 && !stuck; i++) {
        if (conn.send(frameOf(i, body))) continue;
        await new Promise((resolve) => setImmediate(resolve));
        stuck = conn.bufferedBytes >= hwm;
      }
      assert.ok(stuck, 'the kernel buffers filled and send kept returning false');
      const drainsWhileStuck = drains;
      assert.equal(conn.send(frameOf(0, body)), false);
      await waitFor(() => peer !== undefined, 'the raw peer');
      peer?.on('data', () => {});
      peer?.resume();
      await waitFor(() => drains > drainsWhileStuck, 'onDrain after the peer reads');
      assert.ok(bufferedAtDrain >= 0 && bufferedAtDrain < hwm, `buffered at drain: ${bufferedAtDrain}`);
      conn.close();
      peer?.destroy();
    } finally {
      await transport.close();
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    }
  });

  test('tcp — dial fails with CONNECT_FAILED on refusal and CANCELLED on abort', async () => {
    const transport = createTcpTransport();
    try {
      const probe = net.createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const port = (probe.address() as net.AddressInfo).port;
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      await assert.rejects(transport.dial(`127.0.0.1:${port}`), (err: unknown) => {
        assert.ok(err instanceof MicroError);
        assert.equal(err.reason, 'CONNECT_FAILED');
        assert.ok(err.retryable);
        assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
        return true;
      });
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(transport.dial(`127.0.0.1:${port}`, { signal: controller.signal }), (err: unknown) => {
        assert.ok(err instanceof MicroError && err.reason === 'CANCELLED');
        return true;
      });
      await assert.rejects(transport.dial('nonsense'), (err: unknown) => err instanceof MicroError && err.reason === 'BAD_REQUEST');
    } finally {
      await transport.close();
    }
  });

  test('tcp — listener address is the bound host:port', async () => {
    await withServer({}, async ({ address }) => {
      const { host, port } = parseTcpAddress(address);
      assert.equal(host, '127.0.0.1');
      assert.ok(port > 0);
    });
  });

  test('tcp — addresses parse with IPv6 brackets and an optional tcp:// scheme', () => {
    assert.deepEqual(parseTcpAddress('[::1]:4000'), { host: '::1', port: 4000 });
    assert.deepEqual(parseTcpAddress('tcp://127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
    for (const bad of ['', '127.0.0.1', ':80', '127.0.0.1:x', '127.0.0.1:70000', 'h:-1']) {
      assert.throws(() => parseTcpAddress(bad), (err: unknown) => err instanceof MicroError && err.reason === 'BAD_REQUEST', bad);
    }
  });
});
