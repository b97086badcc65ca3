import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createSimulatedClock, type SimulatedClock } from '../../../../src/actors/clock.ts';
import { createRecordingLogger, type RecordingLogger } from '../../../../src/actors/logger.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { encodeFrame } from '../../../../src/mesh/transport/frame-codec.ts';
import {
  type ByteChannel,
  type ConnectionOptions,
  defaultConnectionOptions,
  FrameConnection,
} from '../../../../src/mesh/transport/frame-connection.ts';
import { createTransportStats, type Frame, FrameType, type TransportStats } from '../../../../src/mesh/transport/transport.ts';
import { frameOf, Inbox, pattern } from '../../../conformance/transport.ts';

/** A channel whose peer takes written bytes only when told to (`take`); records pauses, resumes and the end. */
class FakeChannel implements ByteChannel {
  readonly writableHighWaterMark = 16 * 1024;
  writableLength = 0;
  written = 0;
  pauses = 0;
  resumes = 0;
  paused = false;
  ended = false;
  destroyed = false;

  write(chunk: Uint8Array): boolean {
    this.writableLength += chunk.byteLength;
    this.written += chunk.byteLength;
    return this.writableLength < this.writableHighWaterMark;
  }

  /** The peer takes `bytes` of what waits (all of it by default). */
  take(bytes = this.writableLength): void {
    this.writableLength -= Math.min(bytes, this.writableLength);
  }

  pause(): void {
    this.pauses++;
    this.paused = true;
  }

  resume(): void {
    this.resumes++;
    this.paused = false;
  }

  end(): void {
    this.ended = true;
  }

  destroy(): void {
    this.destroyed = true;
  }
}

interface Rig {
  conn: FrameConnection;
  channel: FakeChannel;
  clock: SimulatedClock;
  stats: TransportStats;
  logger: RecordingLogger;
  inbox: Inbox;
}

function rig(options: ConnectionOptions = {}, handler = true): Rig {
  const clock = createSimulatedClock();
  const logger = createRecordingLogger();
  const channel = new FakeChannel();
  const stats = createTransportStats();
  const conn = new FrameConnection({
    id: 'fake-1',
    localAddress: 'fake://local',
    remoteAddress: 'fake://remote',
    channel,
    options: { ...defaultConnectionOptions(), clock, logger, ...options },
    stats,
    onClosed: () => {},
  });
  const inbox = new Inbox();
  if (handler) conn.setHandler(inbox);
  return { conn, channel, clock, stats, logger, inbox };
}

/** The head of a frame declaring `length` (8 + header + body bytes), with no header. */
function head(length: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt32BE(length, 0);
  out[4] = FrameType.REQUEST;
  return out;
}

const byte = (value: number): Buffer => Buffer.from([value & 0xff]);
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const reasonOf = (error: Error | undefined): string | undefined => (error instanceof MicroError ? error.reason : undefined);

describe('frame connection', () => {
  test('frame connection — a frame trickled one byte a second keeps heartbeats alive but is closed at the frame deadline', () => {
    const { conn, channel, clock, stats, logger, inbox } = rig({
      heartbeatIntervalMs: 1000,
      heartbeatTimeoutMs: 3000,
      frameTimeoutMs: 10_000,
    });
    conn.receive(head(8 + 1_000_000));
    for (let second = 1; second < 10; second++) {
      clock.advance(1000);
      conn.receive(byte(second));
    }
    assert.equal(conn.closed, false, 'bytes kept arriving: no heartbeat timeout, and 9 s is inside the deadline');
    clock.advance(1000);
    assert.equal(conn.closed, true, 'closed 10 s after the frame began');
    assert.equal(reasonOf(inbox.closes[0]), 'PROTOCOL_ERROR');
    assert.match(String(inbox.closes[0]?.message), /not complete after 10000 ms \(21 bytes of it received\)/);
    assert.equal(stats.protocolErrors, 1);
    assert.equal(channel.destroyed, true);
    const warnings = logger.entries.filter((e) => e.level === 'warn');
    assert.equal(warnings.length, 1, 'one warning');
    assert.equal(warnings[0].fields.reason, 'PROTOCOL_ERROR');
    assert.equal(warnings[0].fields.remoteAddress, 'fake://remote');
  });

  test('frame connection — the deadline runs per frame: frames completed in time never trip it', () => {
    const { conn, clock, inbox } = rig({ heartbeatIntervalMs: 0, frameTimeoutMs: 10_000 });
    const bytes = encodeFrame(frameOf(1, pattern(40, 1)));
    for (let frame = 0; frame < 5; frame++) {
      for (const value of bytes) {
        conn.receive(byte(value));
        clock.advance(150);
      }
    }
    assert.equal(inbox.frames.length, 5, 'each frame took 7.8 s; five took 39 s');
    assert.equal(conn.closed, false);
    conn.receive(bytes.subarray(0, 3));
    clock.advance(9_999);
    assert.equal(conn.closed, false);
    clock.advance(1);
    assert.equal(reasonOf(inbox.closes[0]), 'PROTOCOL_ERROR', 'a frame left incomplete is caught 10 s after it began');
  });

  test('frame connection — no timer is armed for frames that arrive whole', () => {
    const { conn, clock } = rig({ heartbeatIntervalMs: 0 });
    conn.receive(Buffer.concat([encodeFrame(frameOf(1, pattern(10, 1))), encodeFrame(frameOf(2, pattern(10, 2)))]));
    assert.equal(clock.pending, 0);
    conn.receive(encodeFrame(frameOf(3, pattern(10, 3))).subarray(0, 5));
    assert.equal(clock.pending, 1, 'one deadline timer once a frame is left incomplete');
  });

  test('frame connection — paused reading stops the frame deadline; resuming starts it again', () => {
    const { conn, clock, inbox } = rig({ heartbeatIntervalMs: 0, frameTimeoutMs: 10_000 });
    conn.receive(head(1000));
    clock.advance(5000);
    conn.pauseReading();
    clock.advance(60_000);
    assert.equal(conn.closed, false, 'the peer cannot finish a frame we do not read');
    conn.resumeReading();
    clock.advance(9_999);
    assert.equal(conn.closed, false, 'the deadline starts again on resume');
    clock.advance(1);
    assert.equal(reasonOf(inbox.closes[0]), 'PROTOCOL_ERROR');
  });

  test('frame connection — pauseReading and resumeReading are idempotent and not counted', () => {
    const { conn, channel } = rig({ heartbeatIntervalMs: 0 });
    conn.pauseReading();
    conn.pauseReading();
    assert.equal(channel.pauses, 1);
    conn.resumeReading();
    assert.equal(channel.paused, false, 'one resume undoes two pauses');
    conn.resumeReading();
    assert.equal(channel.resumes, 1);
    conn.close();
    conn.pauseReading();
    assert.equal(channel.pauses, 1, 'no-op once closed');
  });

  test('frame connection — a handler set while reading is paused does not resume the channel', () => {
    const { conn, channel } = rig({ heartbeatIntervalMs: 0, highWaterMarkBytes: 1024 }, false);
    for (let i = 0; i < 200; i++) conn.receive(encodeFrame(frameOf(i, pattern(100, i))));
    assert.equal(channel.paused, true, 'early frames over the mark paused the channel');
    conn.pauseReading();
    conn.setHandler(new Inbox());
    assert.equal(channel.paused, true, 'still paused by pauseReading');
    conn.resumeReading();
    assert.equal(channel.paused, false);
    assert.equal(channel.pauses, 1);
  });

  test('frame connection — early frames without bodies still count toward the mark', () => {
    const { conn, channel } = rig({ heartbeatIntervalMs: 0, highWaterMarkBytes: 64 * 1024 }, false);
    const empty = encodeFrame({ type: FrameType.MESSAGE, flags: 0, streamId: 1, header: new Uint8Array(0), body: new Uint8Array(0) });
    const chunk = Buffer.concat(Array(100).fill(empty));
    let frames = 0;
    while (!channel.paused && frames < 100_000) {
      conn.receive(chunk);
      frames += 100;
    }
    assert.equal(channel.paused, true, 'paused before 100k empty frames');
    assert.ok(frames <= 1000, `paused after ${frames} frames of 12 bytes (each counted as 76 with the object)`);
  });

  test('frame connection — frames of one tick are written together, and at once when they reach flushBytes', async () => {
    const { conn, channel } = rig({ flushBytes: 1024 });
    const small = frameOf(1, pattern(100, 1));
    for (let i = 0; i < 3; i++) conn.send(small);
    assert.equal(channel.written, 0, 'small frames wait for the end of the tick');
    conn.send(frameOf(2, pattern(1000, 2)));
    const all = channel.written;
    assert.ok(all >= 1300, `the frame that reached flushBytes went out with those before it (${all} B written)`);
    conn.send(small);
    assert.equal(channel.written, all, 'the next small frame waits again');
    await new Promise((resolve) => process.nextTick(resolve));
    assert.ok(channel.written > all, 'and leaves at the end of the tick');
  });

  test('frame connection — flushBytes 0 writes once per tick whatever the size', async () => {
    const { conn, channel } = rig({ flushBytes: 0 });
    for (let i = 0; i < 4; i++) conn.send(frameOf(i, pattern(8 * 1024, i)));
    assert.equal(channel.written, 0);
    await new Promise((resolve) => process.nextTick(resolve));
    assert.ok(channel.written >= 32 * 1024);
  });

  test('frame connection — send past maxBufferedBytes throws UNAVAILABLE and closes at once', async () => {
    const maxBufferedBytes = 1024 * 1024;
    const { conn, channel, logger, inbox } = rig({
      heartbeatIntervalMs: 0,
      highWaterMarkBytes: 64 * 1024,
      maxFrameBytes: 128 * 1024,
      maxBufferedBytes,
    });
    const body = pattern(60_000, 1);
    let sent = 0;
    let thrown: unknown;
    let most = 0;
    while (sent < 1000) {
      try {
        conn.send(frameOf(sent, body));
      } catch (err) {
        thrown = err;
        break;
      }
      sent++;
      most = Math.max(most, conn.bufferedBytes);
      if (sent % 4 === 0) await tick();
    }
    assert.ok(thrown instanceof MicroError, `send threw after ${sent} frames`);
    assert.equal(thrown.reason, 'UNAVAILABLE');
    assert.equal(thrown.retryable, true);
    assert.match(thrown.message, /not reading/);
    assert.ok(most <= maxBufferedBytes, `never more than the cap buffered: ${most}`);
    assert.ok(most > maxBufferedBytes - 60_012, `the cap was nearly reached: ${most}`);
    assert.equal(conn.closed, true);
    assert.equal(channel.destroyed, true, 'closed at once, not flushed');
    assert.deepEqual(inbox.closes, [thrown]);
    assert.equal(logger.entries.filter((e) => e.level === 'warn').length, 1);
    assert.throws(() => conn.send(frameOf(1, body)), (err: unknown) => err instanceof MicroError && err.reason === 'UNAVAILABLE');
  });

  test('frame connection — the cap is at least the high-water mark plus one largest frame', () => {
    const hwm = 64 * 1024;
    const { conn } = rig({ heartbeatIntervalMs: 0, highWaterMarkBytes: hwm, maxFrameBytes: 100_000, maxBufferedBytes: 1 });
    while (conn.bufferedBytes + 30_012 < hwm) assert.equal(conn.send(frameOf(1, pattern(30_000, 1))), true);
    let accepted = true;
    assert.doesNotThrow(() => {
      accepted = conn.send(frameOf(2, pattern(100_000 - 8, 2)));
    }, 'a sender that stops when send returns false never reaches the cap');
    assert.equal(accepted, false);
    assert.equal(conn.closed, false);
  });

  test('frame connection — PINGs from a peer that does not read their PONGs close at the cap, never throwing from receive', async () => {
    const { conn, inbox } = rig({ heartbeatIntervalMs: 0, highWaterMarkBytes: 16 * 1024, maxFrameBytes: 70_000, maxBufferedBytes: 1 });
    const ping = encodeFrame({ type: FrameType.PING, flags: 0, streamId: 0, header: new Uint8Array(0), body: pattern(65_000, 1) });
    for (let i = 0; i < 10 && !conn.closed; i++) {
      assert.doesNotThrow(() => conn.receive(ping));
      await tick();
    }
    assert.equal(conn.closed, true);
    assert.equal(reasonOf(inbox.closes[0]), 'UNAVAILABLE');
  });

  test('frame connection — while paused, a peer taking our writes is alive; one taking nothing times out', async () => {
    const options = { heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 3000, frameTimeoutMs: 0 };
    const alive = rig(options);
    alive.conn.pauseReading();
    for (let s = 0; s < 30; s++) {
      alive.conn.send(frameOf(s, pattern(100, s)));
      await tick();
      alive.clock.advance(500);
      alive.channel.take();
      alive.clock.advance(500);
    }
    assert.equal(alive.conn.closed, false, '30 s paused, the peer reading all along');
    const stuck = rig(options);
    stuck.conn.pauseReading();
    stuck.conn.send(frameOf(1, pattern(100, 1)));
    await tick();
    stuck.clock.advance(2999);
    assert.equal(stuck.conn.closed, false);
    stuck.clock.advance(2000);
    assert.equal(stuck.conn.closed, true);
    assert.match(String(stuck.inbox.closes[0]?.message), /heartbeat timeout/);
  });

  test('frame connection — a silent peer times out on the injected clock', () => {
    const { conn, clock, inbox } = rig({ heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 3000 });
    clock.advance(2500);
    assert.equal(conn.closed, false);
    assert.ok(conn.bufferedBytes > 0, 'PINGs were queued');
    clock.advance(1000);
    assert.equal(conn.closed, true);
    assert.match(String(inbox.closes[0]?.message), /heartbeat timeout/);
  });

  test('frame connection — a graceful close uses the injected clock for its destroy timer', () => {
    const { conn, clock, channel } = rig({ heartbeatIntervalMs: 0, closeTimeoutMs: 2000 });
    conn.pauseReading();
    conn.close();
    assert.equal(channel.ended, true);
    assert.equal(channel.paused, false, 'reading again so the peer end can arrive');
    clock.advance(1999);
    assert.equal(channel.destroyed, false);
    clock.advance(1);
    assert.equal(channel.destroyed, true);
  });

  test('frame connection — frames decoded from the chunk being read when reading pauses are still delivered', () => {
    const { conn, channel } = rig({ heartbeatIntervalMs: 0 });
    const frames: Frame[] = [];
    conn.setHandler({
      onFrame: (frame) => {
        frames.push(frame);
        conn.pauseReading();
      },
      onClose: () => {},
    });
    conn.receive(Buffer.concat([1, 2, 3].map((i) => encodeFrame(frameOf(i, pattern(5, i))))));
    assert.equal(channel.paused, true);
    assert.deepEqual(
      frames.map((f) => f.streamId),
      [1, 2, 3],
    );
  });
});
